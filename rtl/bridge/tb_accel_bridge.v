// tb_accel_bridge: the convolution engine as a board's coprocessor, for co-simulation (sim/cosim/).
//
// The engine plus a memory that stands in for the board's memory during one run, plus a job
// sequencer so that one run costs Python a handful of signal writes and a single await:
//
// * Python sets seq_data (the 32 register values, register i in bits [32i+31:32i]), seq_mask
//   (which registers to write) and toggles seq_go;
// * the sequencer loads the memory ($readmemh of the file named by +TANDEM_MEM_IN=, which holds
//   the operand regions the job's registers point at), clears the per-run counters, writes the
//   masked registers through the engine's register interface (one per clock, in index order,
//   skipping unmasked ones)
//   and then CTRL.START;
// * once irq rises it reads STATUS and the five cycle counters through the register interface
//   into `snap` (with the memory port's counters), writes words dump_lo..dump_hi of the memory
//   to +TANDEM_MEM_OUT= when dump_en (the output region), and raises seq_done (cleared by the
//   next seq_go).
//
// While the sequencer is idle the reg_* inputs drive the register interface (diagnostics).
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
    input  wire [1023:0] seq_data,
    input  wire [31:0] seq_mask,
    input  wire        seq_go,
    input  wire        dump_en,
    input  wire [31:0] dump_lo,
    input  wire [31:0] dump_hi,
    output reg         seq_done,
    output wire [287:0] snap,   // {fault, writes, reads, STORE, LOAD, MAC, COMPUTE, CYCLES, STATUS}
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
`include "tandem_accel_regs.vh"

    // what a finished run reports, read by the bridge in one access
    reg [31:0] snap_status, snap_cycles, snap_compute, snap_mac, snap_load, snap_store;
    assign snap = {31'd0, mem_fault, mem_writes, mem_reads, snap_store, snap_load, snap_mac,
                   snap_compute, snap_cycles, snap_status};

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

    // ---------------------------------------------------------------- job sequencer
    localparam [2:0] Q_IDLE = 3'd0, Q_WRITE = 3'd1, Q_START = 3'd2, Q_WAIT = 3'd3, Q_SNAP = 3'd4,
                     Q_DUMP = 3'd5;
    reg [2:0]  q_state;
    reg        go_seen;
    reg [5:0]  q_idx;
    reg        clr_stats;
    reg        e_sel, e_we;
    reg [4:0]  e_addr;
    reg [31:0] e_wdata;
    // the sequencer drives the register interface except while it only waits for irq
    wire       seq_active = (q_state != Q_IDLE) && !(q_state == Q_WAIT && !e_sel);
    reg [31:0] done_w;  // registers written so far in this job
    wire [31:0] pending_w = seq_mask & ~done_w & ~(32'd1 << REG_CTRL);
    reg [4:0]  next_w;  // lowest pending register
    integer wi;
    always @* begin
        next_w = 5'd0;
        for (wi = 31; wi >= 0; wi = wi - 1)
            if (pending_w[wi]) next_w = wi[4:0];
    end

    always @(posedge clk) begin
        clr_stats <= 1'b0;
        e_sel <= 1'b0;
        e_we <= 1'b0;
        if (rst) begin
            q_state <= Q_IDLE;
            go_seen <= 1'b0;
            seq_done <= 1'b0;
            q_idx <= 6'd0;
        end else case (q_state)
            Q_IDLE: if (seq_go != go_seen) begin
                go_seen <= seq_go;
                seq_done <= 1'b0;
                $readmemh(in_file, mem);
                clr_stats <= 1'b1;
                done_w <= 32'd0;
                q_state <= Q_WRITE;
            end
            Q_WRITE: begin
                // one masked register per clock: jump straight to the next one
                if (pending_w != 32'd0) begin
                    e_sel <= 1'b1;
                    e_we <= 1'b1;
                    e_addr <= next_w;
                    e_wdata <= seq_data[32 * next_w +: 32];
                    done_w <= done_w | (32'd1 << next_w);
                end else begin
                    q_state <= Q_START;
                end
            end
            Q_START: begin
                e_sel <= 1'b1;
                e_we <= 1'b1;
                e_addr <= REG_CTRL;
                e_wdata <= 32'd1;
                q_state <= Q_WAIT;
            end
            Q_WAIT: begin
                // the engine drops irq the cycle after START; look from the cycle after that
                e_addr <= REG_STATUS;
                q_idx <= 6'd0;
                if (irq && !e_sel) q_state <= Q_SNAP;
            end
            Q_SNAP: begin
                case (q_idx)
                    6'd0: snap_status <= reg_rdata;
                    6'd1: snap_cycles <= reg_rdata;
                    6'd2: snap_compute <= reg_rdata;
                    6'd3: snap_mac <= reg_rdata;
                    6'd4: snap_load <= reg_rdata;
                    default: snap_store <= reg_rdata;
                endcase
                e_addr <= REG_CYCLES + q_idx[4:0];
                if (q_idx == 6'd5) q_state <= Q_DUMP;
                q_idx <= q_idx + 6'd1;
            end
            default: begin
                if (dump_en) $writememh(out_file, mem, dump_lo, dump_hi);
                seq_done <= 1'b1;
                q_state <= Q_IDLE;
            end
        endcase
    end

    assign pend_req = mem_req;
    assign pend_we = mem_we;
    assign pend_addr = mem_addr;

    tandem_conv_accel #(
        .PO(PO), .PI(PI), .IBUF_WORDS(IBUF_WORDS), .WBUF_WORDS(WBUF_WORDS),
        .OBUF_WORDS(OBUF_WORDS), .MAX_OC(MAX_OC)
    ) dut (
        .clk(clk), .rst(rst),
        .reg_sel(seq_active ? e_sel : reg_sel), .reg_we(seq_active ? e_we : reg_we),
        .reg_addr(seq_active ? e_addr : reg_addr), .reg_wdata(seq_active ? e_wdata : reg_wdata),
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
