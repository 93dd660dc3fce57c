// mac_core behind an APB3 slave (ports s_apb_*, as cocotbext-apb's Apb3Bus names them). The
// setup phase (PSEL without PENABLE) takes one edge; the access phase ends at the edge where
// PREADY is high, which a RESULT read while busy holds low (wait states).
module mac_apb #(
    parameter LATENCY = 4
) (
    input  wire        clk,
    input  wire        rst_n,
    input  wire [11:0] s_apb_paddr,
    input  wire        s_apb_psel,
    input  wire        s_apb_penable,
    input  wire        s_apb_pwrite,
    input  wire [31:0] s_apb_pwdata,
    output wire        s_apb_pready,
    output wire [31:0] s_apb_prdata,
    output wire        s_apb_pslverr,
    output wire        irq
);
    wire access = s_apb_psel && s_apb_penable;
    mac_core #(.LATENCY(LATENCY)) core (
        .clk(clk), .rst(!rst_n), .req(access), .we(s_apb_pwrite), .addr(s_apb_paddr[5:2]),
        .wdata(s_apb_pwdata), .ready(s_apb_pready), .rdata(s_apb_prdata), .irq(irq));
    assign s_apb_pslverr = 1'b0;
    wire unused = &{1'b0, s_apb_paddr[11:6], s_apb_paddr[1:0]};
endmodule
