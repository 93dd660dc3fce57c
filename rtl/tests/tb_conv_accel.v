// tb_conv_accel: cocotb test wrapper around tandem_conv_accel with a behavioural memory.
//
// The memory serves the engine's memory port with configurable wait states: each request waits
// cfg_req_wait cycles before mem_ready (or a pseudo-random 0..cfg_req_wait when cfg_random),
// and each read returns, in order, cfg_rd_lat cycles after the minimum one-cycle latency
// (likewise randomisable); up to 8 reads may be in flight.  The testbench fills and inspects `mem` directly through the simulator's
// handles, so Python touches only register writes, the final status and the memory image.
`default_nettype none

module tb_conv_accel #(
    parameter integer PO = 4,
    parameter integer PI = 4,
    parameter integer IBUF_WORDS = 1024,
    parameter integer WBUF_WORDS = 256,
    parameter integer OBUF_WORDS = 1024,
    parameter integer MAX_OC = 64,
    parameter integer MEM_WORDS = 16384,
    parameter [31:0]  MEM_BASE = 32'h0000_0000   // byte address of mem[0]
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
    output reg  [31:0] mem_writes,
    output reg         mem_fault     // sticky: an accepted request fell outside the memory
);
    localparam integer MA = $clog2(MEM_WORDS);

    wire        mem_req, mem_we;
    wire [31:0] mem_addr, mem_wdata;
    wire [3:0]  mem_wstrb;

    reg [31:0] mem [0:MEM_WORDS-1];

    // Accepted reads wait in an in-order queue; the head answers (combinationally) once its
    // latency has run out, so with no extra latency data returns the cycle after acceptance
    // and back-to-back reads stream one word per cycle.
    reg [MA-1:0] q_index [0:7];
    reg [3:0]    q_lat [0:7];
    reg [2:0]    q_wp, q_rp;
    reg [3:0]    q_cnt;
    reg [15:0] lfsr;
    reg [3:0]  wait_cnt, cur_wait;
    integer qi;

    wire [3:0] rnd_wait = lfsr[3:0] % (cfg_req_wait + 4'd1);
    wire [3:0] rnd_lat = lfsr[7:4] % (cfg_rd_lat + 4'd1);
    wire       mem_ready = mem_req && (q_cnt != 4'd8) && (wait_cnt >= cur_wait);
    wire       mem_rvalid = (q_cnt != 4'd0) && (q_lat[q_rp] == 4'd0);
    wire [31:0] mem_rdata = mem[q_index[q_rp]];
    localparam [32:0] MEM_BYTES = 33'd4 * MEM_WORDS;
    wire [31:0] rel_addr = mem_addr - MEM_BASE;
    wire        in_range = {1'b0, rel_addr} < MEM_BYTES;
    wire [MA-1:0] index = rel_addr[MA+1:2];

    tandem_conv_accel #(
        .PO(PO), .PI(PI), .IBUF_WORDS(IBUF_WORDS), .WBUF_WORDS(WBUF_WORDS),
        .OBUF_WORDS(OBUF_WORDS), .MAX_OC(MAX_OC)
    ) dut (
        .clk(clk), .rst(rst),
        .reg_sel(reg_sel), .reg_we(reg_we), .reg_addr(reg_addr), .reg_wdata(reg_wdata),
        .reg_rdata(reg_rdata), .irq(irq),
        .mem_req(mem_req), .mem_we(mem_we), .mem_addr(mem_addr), .mem_wdata(mem_wdata),
        .mem_wstrb(mem_wstrb), .mem_ready(mem_ready), .mem_rvalid(mem_rvalid),
        .mem_rdata(mem_rdata),
        .mem_rcount(),
        .mem_wcount(),
        .mem_flush(),
        .busy()
    );


    always @(posedge clk) begin
        if (rst) begin
            lfsr <= 16'hACE1;
            wait_cnt <= 4'd0;
            cur_wait <= 4'd0;
            q_wp <= 3'd0;
            q_rp <= 3'd0;
            q_cnt <= 4'd0;
            mem_reads <= 32'd0;
            mem_writes <= 32'd0;
            mem_fault <= 1'b0;
        end else begin
            if (mem_ready && !in_range) mem_fault <= 1'b1;
            lfsr <= {lfsr[14:0], lfsr[15] ^ lfsr[13] ^ lfsr[12] ^ lfsr[10]};
            for (qi = 0; qi < 8; qi = qi + 1)
                if (q_lat[qi] != 4'd0) q_lat[qi] <= q_lat[qi] - 4'd1;
            if (mem_req && !mem_ready && wait_cnt != 4'hF)
                wait_cnt <= wait_cnt + 4'd1;
            if (mem_ready) begin
                wait_cnt <= 4'd0;
                cur_wait <= cfg_random ? rnd_wait : cfg_req_wait;
                if (mem_we && in_range) begin
                    mem_writes <= mem_writes + 32'd1;
                    if (mem_wstrb[0]) mem[index][7:0] <= mem_wdata[7:0];
                    if (mem_wstrb[1]) mem[index][15:8] <= mem_wdata[15:8];
                    if (mem_wstrb[2]) mem[index][23:16] <= mem_wdata[23:16];
                    if (mem_wstrb[3]) mem[index][31:24] <= mem_wdata[31:24];
                end else if (!mem_we) begin
                    mem_reads <= mem_reads + 32'd1;
                    q_index[q_wp] <= index;
                    q_lat[q_wp] <= cfg_random ? rnd_lat : cfg_rd_lat;
                    q_wp <= q_wp + 3'd1;
                end
            end
            if (mem_rvalid) q_rp <= q_rp + 3'd1;
            q_cnt <= q_cnt + {3'd0, mem_ready && !mem_we} - {3'd0, mem_rvalid};
        end
    end
endmodule

`default_nettype wire
