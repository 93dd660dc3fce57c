// tb_conv_accel: cocotb test wrapper around tandem_conv_accel with a behavioural memory.
//
// The memory serves the engine's memory port with configurable wait states: each request waits
// cfg_req_wait cycles before mem_ready (or a pseudo-random 0..cfg_req_wait when cfg_random),
// and each read returns cfg_rd_lat cycles after the minimum one-cycle latency (likewise
// randomisable).  The testbench fills and inspects `mem` directly through the simulator's
// handles, so Python touches only register writes, the final status and the memory image.
`default_nettype none

module tb_conv_accel #(
    parameter integer PO = 4,
    parameter integer PI = 4,
    parameter integer IBUF_WORDS = 1024,
    parameter integer WBUF_WORDS = 256,
    parameter integer OBUF_WORDS = 1024,
    parameter integer MAX_OC = 64,
    parameter integer MEM_WORDS = 16384
) (
    input  wire        clk,
    input  wire        rst,
    input  wire        reg_sel,
    input  wire        reg_we,
    input  wire [4:0]  reg_addr,
    input  wire [31:0] reg_wdata,
    output wire [31:0] reg_rdata,
    output wire        irq,
    input  wire [3:0]  cfg_req_wait,
    input  wire [3:0]  cfg_rd_lat,
    input  wire        cfg_random,
    output reg  [31:0] mem_reads,
    output reg  [31:0] mem_writes
);
    localparam integer MA = $clog2(MEM_WORDS);

    wire        mem_req, mem_we;
    wire [31:0] mem_addr, mem_wdata;
    wire [3:0]  mem_wstrb;
    reg         mem_rvalid;
    reg  [31:0] mem_rdata;

    reg [31:0] mem [0:MEM_WORDS-1];

    reg [15:0] lfsr;
    reg [3:0]  wait_cnt, lat_cnt, cur_wait;
    reg        rd_pending;
    reg [MA-1:0] rd_index;

    wire [3:0] rnd_wait = lfsr[3:0] % (cfg_req_wait + 4'd1);
    wire [3:0] rnd_lat = lfsr[7:4] % (cfg_rd_lat + 4'd1);
    wire       mem_ready = mem_req && !rd_pending && (wait_cnt >= cur_wait);
    wire [MA-1:0] index = mem_addr[MA+1:2];

    tandem_conv_accel #(
        .PO(PO), .PI(PI), .IBUF_WORDS(IBUF_WORDS), .WBUF_WORDS(WBUF_WORDS),
        .OBUF_WORDS(OBUF_WORDS), .MAX_OC(MAX_OC)
    ) dut (
        .clk(clk), .rst(rst),
        .reg_sel(reg_sel), .reg_we(reg_we), .reg_addr(reg_addr), .reg_wdata(reg_wdata),
        .reg_rdata(reg_rdata), .irq(irq),
        .mem_req(mem_req), .mem_we(mem_we), .mem_addr(mem_addr), .mem_wdata(mem_wdata),
        .mem_wstrb(mem_wstrb), .mem_ready(mem_ready), .mem_rvalid(mem_rvalid),
        .mem_rdata(mem_rdata)
    );

    // The testbench only ever uses the low MA+2 address bits.
    /* verilator lint_off UNUSEDSIGNAL */
    wire [31:0] unused_addr = mem_addr;
    /* verilator lint_on UNUSEDSIGNAL */

    always @(posedge clk) begin
        if (rst) begin
            lfsr <= 16'hACE1;
            wait_cnt <= 4'd0;
            cur_wait <= 4'd0;
            rd_pending <= 1'b0;
            mem_rvalid <= 1'b0;
            mem_reads <= 32'd0;
            mem_writes <= 32'd0;
        end else begin
            lfsr <= {lfsr[14:0], lfsr[15] ^ lfsr[13] ^ lfsr[12] ^ lfsr[10]};
            mem_rvalid <= 1'b0;
            if (mem_req && !mem_ready && !rd_pending && wait_cnt != 4'hF)
                wait_cnt <= wait_cnt + 4'd1;
            if (mem_ready) begin
                wait_cnt <= 4'd0;
                cur_wait <= cfg_random ? rnd_wait : cfg_req_wait;
                if (mem_we) begin
                    mem_writes <= mem_writes + 32'd1;
                    if (mem_wstrb[0]) mem[index][7:0] <= mem_wdata[7:0];
                    if (mem_wstrb[1]) mem[index][15:8] <= mem_wdata[15:8];
                    if (mem_wstrb[2]) mem[index][23:16] <= mem_wdata[23:16];
                    if (mem_wstrb[3]) mem[index][31:24] <= mem_wdata[31:24];
                end else begin
                    mem_reads <= mem_reads + 32'd1;
                    if ((cfg_random ? rnd_lat : cfg_rd_lat) == 4'd0) begin
                        // zero extra latency: data in the cycle after acceptance
                        mem_rvalid <= 1'b1;
                        mem_rdata <= mem[index];
                    end else begin
                        rd_pending <= 1'b1;
                        rd_index <= index;
                        lat_cnt <= (cfg_random ? rnd_lat : cfg_rd_lat) - 4'd1;
                    end
                end
            end
            if (rd_pending) begin
                if (lat_cnt == 4'd0) begin
                    rd_pending <= 1'b0;
                    mem_rvalid <= 1'b1;
                    mem_rdata <= mem[rd_index];
                end else begin
                    lat_cnt <= lat_cnt - 4'd1;
                end
            end
        end
    end
endmodule

`default_nettype wire
