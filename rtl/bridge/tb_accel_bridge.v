// tb_accel_bridge: the convolution engine as a board's coprocessor, for co-simulation (sim/cosim/).
//
// The engine plus a memory that stands in for the board's memory during one run.  The bridge
// copies the operand regions a job's registers point at into this memory in bulk ($readmemh on
// load_stb, from the file named by +TANDEM_MEM_IN=), runs the engine, and copies the output
// region back ($writememh of words dump_lo..dump_hi on dump_stb, to +TANDEM_MEM_OUT=), so Python
// does no work per clock cycle or per word.
//
// Bus model of the memory port (set per run through the cfg_* inputs): each request waits
// cfg_req_wait cycles before mem_ready; each read returns, in order, cfg_rd_lat cycles after
// the minimum one-cycle latency; up to 8 reads in flight.  Fault injection for tests:
// cfg_stall_after != 0 stops accepting requests after that many reads (a hung run).
// Observability: per-run counters (cleared by clr_stats), the last accepted transaction and a
// sticky flag for an access outside the memory.
`default_nettype none

module tb_accel_bridge #(
    parameter integer PO = 8,
    parameter integer PI = 8,
    parameter integer IBUF_WORDS = 1024,
    parameter integer WBUF_WORDS = 512,
    parameter integer OBUF_WORDS = 1024,
    parameter integer MAX_OC = 64,
    parameter integer MEM_WORDS = 32768
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
    input  wire [31:0] cfg_stall_after,
    input  wire        load_stb,
    input  wire        dump_stb,
    input  wire [31:0] dump_lo,
    input  wire [31:0] dump_hi,
    input  wire        clr_stats,
    output reg  [31:0] mem_reads,
    output reg  [31:0] mem_writes,
    output reg         mem_fault,
    output reg  [31:0] last_addr,
    output reg         last_we,
    output wire        pend_req,
    output wire        pend_we,
    output wire [31:0] pend_addr
);
    localparam integer MA = $clog2(MEM_WORDS);

    wire        mem_req, mem_we;
    wire [31:0] mem_addr, mem_wdata;
    wire [3:0]  mem_wstrb;

    reg [31:0] mem [0:MEM_WORDS-1];
    reg [8*512-1:0] in_file, out_file;

    initial begin
        if (!$value$plusargs("TANDEM_MEM_IN=%s", in_file)) in_file = "mem_in.hex";
        if (!$value$plusargs("TANDEM_MEM_OUT=%s", out_file)) out_file = "mem_out.hex";
    end

    reg [MA-1:0] q_index [0:7];
    reg [3:0]    q_lat [0:7];
    reg [2:0]    q_wp, q_rp;
    reg [3:0]    q_cnt;
    reg [3:0]    wait_cnt;
    integer qi;

    wire        stalled = (cfg_stall_after != 32'd0) && (mem_reads >= cfg_stall_after);
    wire        mem_ready = mem_req && (q_cnt != 4'd8) && (wait_cnt >= cfg_req_wait) && !stalled;
    wire        mem_rvalid = (q_cnt != 4'd0) && (q_lat[q_rp] == 4'd0);
    wire [31:0] mem_rdata = mem[q_index[q_rp]];
    localparam [32:0] MEM_BYTES = 33'd4 * MEM_WORDS;
    wire        in_range = {1'b0, mem_addr} < MEM_BYTES;
    wire [MA-1:0] index = mem_addr[MA+1:2];

    assign pend_req = mem_req;
    assign pend_we = mem_we;
    assign pend_addr = mem_addr;

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

    always @(posedge clk) begin
        if (load_stb) $readmemh(in_file, mem);
        if (dump_stb) $writememh(out_file, mem, dump_lo, dump_hi);
        if (rst) begin
            wait_cnt <= 4'd0;
            q_wp <= 3'd0;
            q_rp <= 3'd0;
            q_cnt <= 4'd0;
        end else begin
            for (qi = 0; qi < 8; qi = qi + 1)
                if (q_lat[qi] != 4'd0) q_lat[qi] <= q_lat[qi] - 4'd1;
            if (mem_req && !mem_ready && wait_cnt != 4'hF)
                wait_cnt <= wait_cnt + 4'd1;
            if (mem_ready) begin
                wait_cnt <= 4'd0;
                if (mem_we && in_range) begin
                    if (mem_wstrb[0]) mem[index][7:0] <= mem_wdata[7:0];
                    if (mem_wstrb[1]) mem[index][15:8] <= mem_wdata[15:8];
                    if (mem_wstrb[2]) mem[index][23:16] <= mem_wdata[23:16];
                    if (mem_wstrb[3]) mem[index][31:24] <= mem_wdata[31:24];
                end else if (!mem_we) begin
                    q_index[q_wp] <= index;
                    q_lat[q_wp] <= cfg_rd_lat;
                    q_wp <= q_wp + 3'd1;
                end
            end
            if (mem_rvalid) q_rp <= q_rp + 3'd1;
            q_cnt <= q_cnt + {3'd0, mem_ready && !mem_we} - {3'd0, mem_rvalid};
        end
        if (rst || clr_stats) begin
            mem_reads <= 32'd0;
            mem_writes <= 32'd0;
            mem_fault <= 1'b0;
            last_addr <= 32'd0;
            last_we <= 1'b0;
        end else if (mem_ready) begin
            if (!in_range) mem_fault <= 1'b1;
            if (mem_we) mem_writes <= mem_writes + 32'd1;
            else mem_reads <= mem_reads + 32'd1;
            last_addr <= mem_addr;
            last_we <= mem_we;
        end
    end
endmodule

`default_nettype wire
