// mac_core behind an AXI4-Lite slave (ports s_axil_*, as cocotbext-axi's AxiLiteBus names them).
// Read: ARREADY is high with ARVALID when the core can answer (a RESULT read while busy waits
// here), the data is registered at that edge and RVALID holds until RREADY. Write: AW and W are
// taken together at one edge (AWREADY = WREADY = both valid and no response pending), BVALID
// follows and holds until BREADY. A zero-wait access takes two clock edges (address, response).
module mac_axil #(
    parameter LATENCY = 4
) (
    input  wire        clk,
    input  wire        rst,
    input  wire [11:0] s_axil_awaddr,
    input  wire        s_axil_awvalid,
    output wire        s_axil_awready,
    input  wire [31:0] s_axil_wdata,
    input  wire [3:0]  s_axil_wstrb,
    input  wire        s_axil_wvalid,
    output wire        s_axil_wready,
    output wire [1:0]  s_axil_bresp,
    output reg         s_axil_bvalid,
    input  wire        s_axil_bready,
    input  wire [11:0] s_axil_araddr,
    input  wire        s_axil_arvalid,
    output wire        s_axil_arready,
    output reg  [31:0] s_axil_rdata,
    output wire [1:0]  s_axil_rresp,
    output reg         s_axil_rvalid,
    input  wire        s_axil_rready,
    output wire        irq
);
    wire do_write = s_axil_awvalid && s_axil_wvalid && !s_axil_bvalid;
    wire do_read = s_axil_arvalid && !s_axil_rvalid && !do_write;
    wire [31:0] rdata;
    wire ready;
    mac_core #(.LATENCY(LATENCY)) core (
        .clk(clk), .rst(rst), .req(do_write || do_read), .we(do_write),
        .addr(do_write ? s_axil_awaddr[5:2] : s_axil_araddr[5:2]), .wdata(s_axil_wdata),
        .ready(ready), .rdata(rdata), .irq(irq));
    assign s_axil_awready = do_write;
    assign s_axil_wready = do_write;
    assign s_axil_arready = do_read && ready;
    assign s_axil_bresp = 2'b00;
    assign s_axil_rresp = 2'b00;
    wire unused = &{1'b0, s_axil_wstrb, s_axil_awaddr[11:6], s_axil_awaddr[1:0], s_axil_araddr[1:0], s_axil_araddr[11:6]};

    always @(posedge clk) begin
        if (rst) begin
            s_axil_bvalid <= 1'b0;
            s_axil_rvalid <= 1'b0;
            s_axil_rdata <= 32'd0;
        end else begin
            if (do_write) s_axil_bvalid <= 1'b1;
            else if (s_axil_bready) s_axil_bvalid <= 1'b0;
            if (s_axil_arready) begin
                s_axil_rvalid <= 1'b1;
                s_axil_rdata <= rdata;
            end else if (s_axil_rready) begin
                s_axil_rvalid <= 1'b0;
            end
        end
    end
endmodule
