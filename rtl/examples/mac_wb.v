// mac_core behind a Wishbone B4 classic slave (ports s_wb_*, as cocotbext-wishbone names them:
// datwr is the master's write data, datrd the slave's read data). ACK is registered: it rises
// one edge after CYC & STB when the core can answer (a RESULT read while busy waits) and drops
// the cycle after.
module mac_wb #(
    parameter LATENCY = 4
) (
    input  wire        clk,
    input  wire        rst,
    input  wire        s_wb_cyc,
    input  wire        s_wb_stb,
    input  wire        s_wb_we,
    input  wire [11:0] s_wb_adr,
    input  wire [31:0] s_wb_datwr,
    input  wire [3:0]  s_wb_sel,
    output reg  [31:0] s_wb_datrd,
    output reg         s_wb_ack,
    output wire        irq
);
    wire ready;
    wire [31:0] rdata;
    wire take = s_wb_cyc && s_wb_stb && !s_wb_ack;
    mac_core #(.LATENCY(LATENCY)) core (
        .clk(clk), .rst(rst), .req(take), .we(s_wb_we), .addr(s_wb_adr[5:2]), .wdata(s_wb_datwr),
        .ready(ready), .rdata(rdata), .irq(irq));
    wire unused = &{1'b0, s_wb_sel, s_wb_adr[11:6], s_wb_adr[1:0]};

    always @(posedge clk) begin
        if (rst) begin
            s_wb_ack <= 1'b0;
            s_wb_datrd <= 32'd0;
        end else begin
            s_wb_ack <= take && ready;
            if (take && ready) s_wb_datrd <= rdata;
        end
    end
endmodule
