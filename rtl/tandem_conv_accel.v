// tandem_conv_accel: int8 CONV_2D and DEPTHWISE_CONV_2D engine with TFLite per-channel
// requantization (CONFIG.MODE picks the job kind; FULLY_CONNECTED runs as a 1x1 CONV_2D with
// CONFIG.ROUND = SINGLE, its one-rounding rescale).
//
// A synchronous coprocessor: the CPU writes the configuration registers and START, the engine
// loads input, filter and per-channel arrays from the board's memory through its memory port,
// computes the whole layer out of on-chip buffers, writes the int8 output back and raises DONE
// (or ERROR with a code, for a configuration it refuses).
//
// Mapping: the MAC array is PO x PI (output channels x input channels).  Each cycle it takes one
// output pixel, one kernel tap and PI consecutive input channels (one word of the input buffer,
// contiguous in NHWC) against the matching PO x PI filter bytes, reduces the PI products of each
// row with an adder tree and accumulates per output channel.  NHWC/OHWI keep the PI channels of
// a tap contiguous, so the operands of a cycle are single words of two buffers and no im2col or
// multi-ported input buffer is needed; 1x1 convolutions with IC a multiple of PI and OC a
// multiple of PO keep every lane busy.  Taps outside the input and lanes beyond IC are masked
// to zero, which is exactly the reference kernel's "skip the tap".
//
// Depthwise (CONFIG.MODE = DEPTHWISE, 1HWO filter, OUT_C = IN_C * M; needs PO <= PI): the
// input is loaded by output channel, each input byte written to the M lanes of its output
// channels (so word (pixel, g) holds x[pixel][(g*PI + j) / M] in lane j), and the filter as a
// diagonal: tap t of channel oc goes to word (oc / PO) * KH*KW + t, row oc mod PO, column
// oc mod PI.  Each cycle then takes one output pixel, one tap and PO output channels: row r
// uses only its diagonal product, so PO of the PO x PI multipliers do useful work (utilisation
// 1/PI: 1/8 on an 8x8 array), one tap per cycle, KH*KW cycles per pixel and group of PO
// channels.  M is found by repeated subtraction before loading (M + 1 cycles); the input
// loads at one byte per cycle unless M = 1 (then four, as for CONV_2D), the filter at one byte
// per cycle.
//
// Requantization (per output channel, PO lanes in parallel, pipelined): acc + bias, then
// CONFIG.ROUND = DOUBLE (conv's MultiplyByQuantizedMultiplier): RoundingDivideByPOT(
// SaturatingRoundingDoublingHighMul(acc << left_shift, multiplier), right_shift); or
// CONFIG.ROUND = SINGLE (FULLY_CONNECTED's, tensorflow/lite/kernels/internal/common.cc with
// TFLITE_SINGLE_ROUNDING and ruy/apply_multiplier.cc, which LiteRT's int8 FULLY_CONNECTED
// takes): int32((int64 acc * multiplier + 2^(30 - shift)) >>> (31 - shift)), one rounding of
// the 64-bit product (no left shift, no saturation; the int32 cast wraps as the firmware's C
// does); then + output offset, clamp to [act_min, act_max].
//
// Register interface: 32-bit, word-addressed (reg_addr is the word index), combinational read;
// a write takes effect at the clock edge where reg_sel & reg_we; configuration writes are
// ignored while BUSY.  irq = DONE | ERROR (level, cleared by the next START).
// Memory port: byte addresses, always word aligned; a request (mem_req with mem_we, mem_addr,
// mem_wdata, mem_wstrb) is held until the cycle mem_ready is high, which accepts it; each read
// is answered later by one mem_rvalid cycle carrying mem_rdata, in request order, after any
// latency; up to 4 reads may be in flight; writes carry byte strobes and complete on acceptance.
// mem_req never depends combinationally on mem_ready or mem_rvalid.  With a read request,
// mem_rcount is the number of words the fetcher will still read at consecutive addresses from
// mem_addr on (this one included), so a bus adapter can issue them as one burst; mem_wcount is
// the same for a write (a dense output, OUT_PSTRIDE = OUT_C, is written as consecutive words,
// each once; otherwise 1); mem_flush is
// high while an aborted run waits for its reads in flight (an adapter drains any burst beats
// it fetched ahead).
`default_nettype none

module tandem_conv_accel #(
    parameter integer PO = 4,            // MAC rows: output channels in parallel (power of 2, >= 2)
    parameter integer PI = 4,            // MAC columns: input channels in parallel (power of 2, >= 4)
    parameter integer IBUF_WORDS = 1024, // input buffer depth, words of PI bytes
    parameter integer WBUF_WORDS = 256,  // filter buffer depth, words of PO*PI bytes
    parameter integer OBUF_WORDS = 1024, // output buffer depth, words of PO bytes
    parameter integer MAX_OC = 64        // per-channel array capacity (multiple of PO)
) (
    input  wire        clk,
    input  wire        rst,
    // register interface
    input  wire        reg_sel,
    input  wire        reg_we,
    input  wire [4:0]  reg_addr,
    input  wire [31:0] reg_wdata,
    output reg  [31:0] reg_rdata,
    output wire        irq,
    // memory port (master)
    output reg         mem_req,
    output reg         mem_we,
    output reg  [31:0] mem_addr,
    output reg  [31:0] mem_wdata,
    output reg  [3:0]  mem_wstrb,
    input  wire        mem_ready,
    input  wire        mem_rvalid,
    input  wire [31:0] mem_rdata,
    output wire [31:0] mem_rcount,
    output wire [31:0] mem_wcount,
    output wire        mem_flush,
    output wire        busy           // STATUS.BUSY
);
`include "tandem_accel_regs.vh"

    localparam integer LPO = $clog2(PO);
    localparam integer LPI = $clog2(PI);
    localparam integer IA = $clog2(IBUF_WORDS);
    localparam integer WA = $clog2(WBUF_WORDS);
    localparam integer OA = $clog2(OBUF_WORDS);
    localparam integer PD = MAX_OC / PO;
    localparam integer PA = (PD > 1) ? $clog2(PD) : 1;
    localparam integer NL = PO * PI;
    localparam integer DWSH = (LPI > LPO) ? LPI - LPO : 0;  // log2(PI / PO), depthwise only
    // sized copies of the parameters for width-exact arithmetic
    localparam [15:0] PO16 = PO[15:0];
    localparam [15:0] PI16 = PI[15:0];
    localparam [16:0] PI17 = PI[16:0];
    localparam [LPO:0] PO_M1 = PO16[LPO:0] - 1'b1;
    localparam [15:0] MAX_OC16 = MAX_OC[15:0];
    localparam [47:0] IBUF48 = {16'd0, IBUF_WORDS[31:0]};
    localparam [47:0] WBUF48 = {16'd0, WBUF_WORDS[31:0]};
    localparam [47:0] OBUF48 = {16'd0, OBUF_WORDS[31:0]};

    // ---------------------------------------------------------------- states
    localparam [3:0] S_IDLE = 4'd0, S_CHK1 = 4'd1, S_CHK2 = 4'd2, S_CHK3 = 4'd3,
                     S_LD_START = 4'd4, S_LOAD = 4'd5, S_COMPUTE = 4'd6, S_WB = 4'd7,
                     S_WB_FLUSH = 4'd8, S_FINISH = 4'd9, S_ABORT = 4'd10, S_DIV = 4'd11;
    localparam [2:0] PH_IN = 3'd0, PH_FILT = 3'd1, PH_BIAS = 3'd2, PH_MULT = 3'd3, PH_SHIFT = 3'd4;

    reg [3:0] state;
    reg [2:0] phase;

    // ---------------------------------------------------------------- registers
    reg [15:0] in_h, in_w, in_c, out_h, out_w, out_c;
    reg [7:0]  k_h, k_w, s_h, s_w, d_h, d_w, pad_t, pad_b, pad_l, pad_r;
    reg [31:0] in_off_r, out_off_r, act_min_r, act_max_r;
    reg [31:0] in_addr, filt_addr, bias_addr, mult_addr, shift_addr, out_addr, out_pstride;
    reg [1:0]  cfg_mode;          // CONFIG.MODE
    reg        cfg_round;         // CONFIG.ROUND: 0 DOUBLE, 1 SINGLE (see the requant pipeline)
    wire       dw = (cfg_mode == CONFIG_MODE_DEPTHWISE);
    reg [15:0] dw_m, dw_rem;      // depth multiplier OUT_C / IN_C, and the division's remainder
    reg [31:0] cyc_total, cyc_compute, cyc_mac, cyc_load, cyc_store;
    reg        st_done, st_error;
    reg [7:0]  st_code;
    assign busy = (state != S_IDLE);

    assign irq = st_done | st_error;

    wire wr = reg_sel & reg_we;
    always @(posedge clk) begin
        if (rst) begin
            in_h <= 16'd0; in_w <= 16'd0; in_c <= 16'd0;
            out_h <= 16'd0; out_w <= 16'd0; out_c <= 16'd0;
            k_h <= 8'd0; k_w <= 8'd0; s_h <= 8'd0; s_w <= 8'd0;
            d_h <= DILATION_RESET[DILATION_DH_LSB +: 8]; d_w <= DILATION_RESET[DILATION_DW_LSB +: 8];
            pad_t <= 8'd0; pad_b <= 8'd0; pad_l <= 8'd0; pad_r <= 8'd0;
            in_off_r <= 32'd0; out_off_r <= 32'd0;
            act_min_r <= ACT_MIN_RESET; act_max_r <= ACT_MAX_RESET;
            cfg_mode <= CONFIG_RESET[CONFIG_MODE_LSB +: 2];
            cfg_round <= CONFIG_RESET[CONFIG_ROUND_LSB];
            in_addr <= 32'd0; filt_addr <= 32'd0; bias_addr <= 32'd0; mult_addr <= 32'd0;
            shift_addr <= 32'd0; out_addr <= 32'd0; out_pstride <= 32'd0;
        end else if (wr && !busy) begin
            case (reg_addr)
                REG_IN_HW:       begin in_h <= reg_wdata[15:0]; in_w <= reg_wdata[31:16]; end
                REG_IN_C:        in_c <= reg_wdata[15:0];
                REG_OUT_HW:      begin out_h <= reg_wdata[15:0]; out_w <= reg_wdata[31:16]; end
                REG_OUT_C:       out_c <= reg_wdata[15:0];
                REG_KERNEL:      begin k_h <= reg_wdata[7:0]; k_w <= reg_wdata[15:8];
                                       s_h <= reg_wdata[23:16]; s_w <= reg_wdata[31:24]; end
                REG_DILATION:    begin d_h <= reg_wdata[7:0]; d_w <= reg_wdata[15:8]; end
                REG_PAD:         begin pad_t <= reg_wdata[7:0]; pad_b <= reg_wdata[15:8];
                                       pad_l <= reg_wdata[23:16]; pad_r <= reg_wdata[31:24]; end
                REG_IN_OFFSET:   in_off_r <= reg_wdata;
                REG_OUT_OFFSET:  out_off_r <= reg_wdata;
                REG_ACT_MIN:     act_min_r <= reg_wdata;
                REG_ACT_MAX:     act_max_r <= reg_wdata;
                REG_IN_ADDR:     in_addr <= reg_wdata;
                REG_FILTER_ADDR: filt_addr <= reg_wdata;
                REG_BIAS_ADDR:   bias_addr <= reg_wdata;
                REG_MULT_ADDR:   mult_addr <= reg_wdata;
                REG_SHIFT_ADDR:  shift_addr <= reg_wdata;
                REG_OUT_ADDR:    out_addr <= reg_wdata;
                REG_OUT_PSTRIDE: out_pstride <= reg_wdata;
                REG_CONFIG:      begin cfg_mode <= reg_wdata[CONFIG_MODE_LSB +: 2];
                                       cfg_round <= reg_wdata[CONFIG_ROUND_LSB]; end
                default: ;
            endcase
        end
    end

    wire [31:0] caps_word = {MAX_OC16, PI16[7:0], PO16[7:0]};
    always @* begin
        case (reg_addr)
            REG_ID:             reg_rdata = ACCEL_ID;
            REG_VERSION:        reg_rdata = ACCEL_VERSION;
            REG_CAPS:           reg_rdata = caps_word;
            REG_CAPS_IBUF:      reg_rdata = IBUF48[31:0];
            REG_CAPS_WBUF:      reg_rdata = WBUF48[31:0];
            REG_CAPS_OBUF:      reg_rdata = OBUF48[31:0];
            REG_STATUS:         reg_rdata = {16'd0, st_code, 5'd0, st_error, st_done, busy};
            REG_IN_HW:          reg_rdata = {in_w, in_h};
            REG_IN_C:           reg_rdata = {16'd0, in_c};
            REG_OUT_HW:         reg_rdata = {out_w, out_h};
            REG_OUT_C:          reg_rdata = {16'd0, out_c};
            REG_KERNEL:         reg_rdata = {s_w, s_h, k_w, k_h};
            REG_DILATION:       reg_rdata = {16'd0, d_w, d_h};
            REG_PAD:            reg_rdata = {pad_r, pad_l, pad_b, pad_t};
            REG_IN_OFFSET:      reg_rdata = in_off_r;
            REG_OUT_OFFSET:     reg_rdata = out_off_r;
            REG_ACT_MIN:        reg_rdata = act_min_r;
            REG_ACT_MAX:        reg_rdata = act_max_r;
            REG_IN_ADDR:        reg_rdata = in_addr;
            REG_FILTER_ADDR:    reg_rdata = filt_addr;
            REG_BIAS_ADDR:      reg_rdata = bias_addr;
            REG_MULT_ADDR:      reg_rdata = mult_addr;
            REG_SHIFT_ADDR:     reg_rdata = shift_addr;
            REG_OUT_ADDR:       reg_rdata = out_addr;
            REG_OUT_PSTRIDE:    reg_rdata = out_pstride;
            REG_CYCLES:         reg_rdata = cyc_total;
            REG_COMPUTE_CYCLES: reg_rdata = cyc_compute;
            REG_MAC_CYCLES:     reg_rdata = cyc_mac;
            REG_LOAD_CYCLES:    reg_rdata = cyc_load;
            REG_STORE_CYCLES:   reg_rdata = cyc_store;
            REG_CONFIG:         reg_rdata = {29'd0, cfg_round, cfg_mode};
            default:            reg_rdata = 32'd0;
        endcase
    end

    wire start_req = wr && (reg_addr == REG_CTRL) && reg_wdata[CTRL_START_LSB] && !busy;

    // ---------------------------------------------------------------- derived configuration
    reg [15:0] icg, ocg;          // groups of PI input / PO output channels
    reg [15:0] kk;                // taps
    reg [16:0] ekh, ekw;          // dilated kernel extent
    reg [17:0] padded_h, padded_w;
    reg [31:0] npix_in, npix_out;
    reg [31:0] oh_lo, ow_lo, oh_hi, ow_hi;
    reg [47:0] need_in, need_w, need_o;
    reg [31:0] in_bytes, filt_bytes;
    reg [31:0] kkicg;             // filter buffer words per output-channel group

    wire zero_cfg = (in_h == 16'd0) || (in_w == 16'd0) || (in_c == 16'd0) || (out_h == 16'd0) ||
                    (out_w == 16'd0) || (out_c == 16'd0) || (k_h == 8'd0) || (k_w == 8'd0) ||
                    (s_h == 8'd0) || (s_w == 8'd0) || (d_h == 8'd0) || (d_w == 8'd0);
    wire signed [31:0] in_off_s = in_off_r;
    wire signed [31:0] out_off_s = out_off_r;
    wire signed [31:0] act_min_s = act_min_r;
    wire signed [31:0] act_max_s = act_max_r;
    wire bad_param = (in_off_s < -32'sd128) || (in_off_s > 32'sd128) ||
                     (out_off_s < -32'sd128) || (out_off_s > 32'sd127) ||
                     (act_min_s < -32'sd128) || (act_max_s > 32'sd127) || (act_min_s > act_max_s);
    wire unaligned = (bias_addr[1:0] != 2'd0) || (mult_addr[1:0] != 2'd0) ||
                     (shift_addr[1:0] != 2'd0);

    // ---------------------------------------------------------------- on-chip buffers
    // input buffer: PI byte banks, word = (pixel * icg + channel group)
    // Loads write ib_wn (1 or 4) consecutive lanes from ib_wlane on, bytes taken from ib_wword.
    reg          ib_we;
    reg [IA-1:0] ib_waddr;
    reg [LPI:0]  ib_wlane;
    reg [2:0]    ib_wn;
    reg [31:0]   ib_wword;
    wire [IA-1:0] ib_raddr;
    wire [8*PI-1:0] ib_rdata;
    // filter buffer: PO*PI byte banks (lane = oc_lane*PI + ic_lane), word = ((ocg*kk)+tap)*icg + icgrp
    reg          wb_we;
    reg [WA-1:0] wb_waddr;
    reg [LPO:0]  wb_wolane;
    reg [LPI:0]  wb_wlane;
    reg [2:0]    wb_wn;
    reg [31:0]   wb_wword;
    wire [WA-1:0] wb_raddr;
    wire [8*NL-1:0] wb_rdata;
    // output buffer: PO byte banks, word = ocg * npix_out + pixel
    reg          ob_we;
    reg [OA-1:0] ob_waddr;
    reg [8*PO-1:0] ob_wdata;
    reg [OA-1:0] ob_raddr;
    wire [8*PO-1:0] ob_rdata;
    // per-channel arrays: PO banks of PD entries, entry = channel group
    reg          pm_we;
    reg [2:0]    pm_sel;
    reg [LPO:0]  pm_lane;
    reg [PA-1:0] pm_addr;
    reg [31:0]   pm_wdata;
    reg [PA-1:0] q0_grp;
    wire [32*PO-1:0] bias_rd, mult_rd, shift_rd;

    genvar gi, gj, go;
    generate
        // Parameter checks: an unknown module stops elaboration with the reason in its name.
        if (PI < 4 || (1 << LPI) != PI) begin : g_check_pi
            PI_must_be_a_power_of_two_of_at_least_4 u_bad_pi ();
        end
        if (PO < 2 || (1 << LPO) != PO) begin : g_check_po
            PO_must_be_a_power_of_two_of_at_least_2 u_bad_po ();
        end
        if (MAX_OC % PO != 0 || MAX_OC < 2 * PO || MAX_OC > 65535) begin : g_check_oc
            MAX_OC_must_be_a_multiple_of_PO_and_at_least_2PO u_bad_oc ();
        end
        for (gi = 0; gi < PI; gi = gi + 1) begin : g_ibank
            localparam [LPI:0] LANE = gi;
            reg [7:0] mem [0:IBUF_WORDS-1];
            reg [7:0] rd;
            wire [LPI:0] rel = LANE - ib_wlane;  // wraps past PI for lanes below ib_wlane
            always @(posedge clk) begin
                if (ib_we && rel < {{(LPI-2){1'b0}}, ib_wn})
                    mem[ib_waddr] <= ib_wword[8*rel[1:0] +: 8];
                rd <= mem[ib_raddr];
            end
            assign ib_rdata[8*gi +: 8] = rd;
        end
        for (gj = 0; gj < NL; gj = gj + 1) begin : g_wbank
            localparam [LPO+LPI-1:0] BANK = gj;
            localparam [LPI:0] LANE = {1'b0, BANK[LPI-1:0]};
            localparam [LPO:0] OLANE = {1'b0, BANK[LPO+LPI-1:LPI]};
            reg [7:0] mem [0:WBUF_WORDS-1];
            reg [7:0] rd;
            wire [LPI:0] rel = LANE - wb_wlane;
            always @(posedge clk) begin
                if (wb_we && wb_wolane == OLANE && rel < {{(LPI-2){1'b0}}, wb_wn})
                    mem[wb_waddr] <= wb_wword[8*rel[1:0] +: 8];
                rd <= mem[wb_raddr];
            end
            assign wb_rdata[8*gj +: 8] = rd;
        end
        for (go = 0; go < PO; go = go + 1) begin : g_obank
            reg [7:0] mem [0:OBUF_WORDS-1];
            reg [7:0] rd;
            always @(posedge clk) begin
                if (ob_we) mem[ob_waddr] <= ob_wdata[8*go +: 8];
                rd <= mem[ob_raddr];
            end
            assign ob_rdata[8*go +: 8] = rd;
        end
        for (go = 0; go < PO; go = go + 1) begin : g_pbank
            reg [31:0] bias_m [0:PD-1];
            reg [31:0] mult_m [0:PD-1];
            reg [31:0] shift_m [0:PD-1];
            always @(posedge clk) begin
                if (pm_we && pm_lane == go) begin
                    case (pm_sel)
                        PH_BIAS: bias_m[pm_addr] <= pm_wdata;
                        PH_MULT: mult_m[pm_addr] <= pm_wdata;
                        default: shift_m[pm_addr] <= pm_wdata;
                    endcase
                end
            end
            assign bias_rd[32*go +: 32] = bias_m[q0_grp];
            assign mult_rd[32*go +: 32] = mult_m[q0_grp];
            assign shift_rd[32*go +: 32] = shift_m[q0_grp];
        end
    endgenerate

    // ---------------------------------------------------------------- stream reader state
    // A fetcher keeps up to 4 reads in flight (credit = free slots of a 4-word read queue, so
    // every response has room) while an emitter unpacks the current word (e_*) into the
    // buffers, 4 bytes or 1 byte per cycle; per-channel arrays are consumed a word per cycle
    // straight from the head of the read queue.
    reg [29:0] f_waddr;           // next word to fetch
    reg [31:0] f_left;            // words still to fetch in this phase
    reg [2:0]  f_out_n;           // reads accepted but not answered
    reg [31:0] rq_data [0:3];
    reg [1:0]  rq_wp, rq_rp;
    reg [2:0]  rq_cnt;
    wire       nb_valid = (rq_cnt != 3'd0);
    wire [31:0] nb_word = rq_data[rq_rp];
    reg [7:0]  abort_code;
    reg        e_valid;
    reg [31:0] e_word;
    reg [1:0]  e_bi;              // byte of e_word emitted next
    reg [31:0] rd_left;           // bytes (or words) still to emit in this phase
    wire       rd_bytes = (phase == PH_IN) || (phase == PH_FILT);
    // load destination counters
    reg [15:0] ld_c, ld_icg, ld_t, ld_rep;
    reg [LPI:0] ld_lane;
    reg [LPO:0] ld_olane;
    reg [31:0] ld_iaddr, ld_wgrp, ld_tbase;
    reg [PA-1:0] ld_pgrp;

    // ---------------------------------------------------------------- compute issue state
    reg        c_issuing;
    reg [15:0] c_ocg, c_oy, c_ox, c_icg;
    reg [7:0]  c_ky, c_kx;
    reg signed [25:0] c_base_y, c_base_x;
    reg [15:0] c_tap_y, c_tap_x;
    reg [31:0] c_waddr, c_wgrp, c_oidx;
    reg [16:0] c_icleft;

    wire signed [25:0] c_in_y = c_base_y + $signed({10'd0, c_tap_y});
    wire signed [25:0] c_in_x = c_base_x + $signed({10'd0, c_tap_x});
    wire c_inside = (c_in_y >= 26'sd0) && (c_in_y < $signed({10'd0, in_h})) &&
                    (c_in_x >= 26'sd0) && (c_in_x < $signed({10'd0, in_w}));
    wire c_first = (c_icg == 16'd0) && (c_kx == 8'd0) && (c_ky == 8'd0);
    wire c_last_icg = dw || (c_icg == icg - 16'd1);
    wire c_last_kx = (c_kx == k_w - 8'd1);
    wire c_last_ky = (c_ky == k_h - 8'd1);
    wire c_last = c_last_icg && c_last_kx && c_last_ky;
    reg [PI-1:0] c_mask;
    integer mi;
    always @* begin
        for (mi = 0; mi < PI; mi = mi + 1) c_mask[mi] = (mi < {15'd0, c_icleft});
    end
    // Depthwise: row r of output-channel group g is channel g*PO + r, whose input word (the
    // input is stored by output channel, see the header) is group (g*PO)/PI and whose lane is
    // (g*PO) mod PI + r; only that product of the row is used (PO <= PI).
    wire [LPI-1:0] c_dwbase = c_ocg[LPI-1:0] << LPO;
    /* verilator lint_off UNUSEDSIGNAL */
    wire [15:0] c_dwicg = c_ocg >> DWSH;
    /* verilator lint_on UNUSEDSIGNAL */
    reg [NL-1:0] c_dmask;
    integer dr, dc;
    always @* begin
        for (dr = 0; dr < PO; dr = dr + 1)
            for (dc = 0; dc < PI; dc = dc + 1)
                c_dmask[dr*PI + dc] = (dr + {{(32-LPI){1'b0}}, c_dwbase} == dc);
    end

    // pipeline stage 1: buffer addresses
    reg          p1_valid, p1_inside, p1_first, p1_last;
    reg [15:0]   p1_row, p1_col, p1_icg, p1_ocg;
    reg [WA-1:0] p1_waddr;
    reg [PI-1:0] p1_mask;
    reg [NL-1:0] p1_dmask;
    reg [OA-1:0] p1_oidx;
    wire [31:0] p1_pix = {16'd0, p1_row} * {16'd0, in_w} + {16'd0, p1_col};
    // The capacity check bounds in-range addresses to IA bits; the upper bits are never needed.
    /* verilator lint_off UNUSEDSIGNAL */
    wire [47:0] p1_iaddr = {16'd0, p1_pix} * {32'd0, icg} + {32'd0, p1_icg};
    /* verilator lint_on UNUSEDSIGNAL */
    assign ib_raddr = p1_iaddr[IA-1:0];
    assign wb_raddr = p1_waddr;

    // pipeline stage 2: MAC and accumulate
    reg          p2_valid, p2_inside, p2_first, p2_last;
    /* verilator lint_off UNUSEDSIGNAL */
    reg [15:0]   p2_ocg;  // only the bank-index bits reach the requant stage
    /* verilator lint_on UNUSEDSIGNAL */
    reg [PI-1:0] p2_mask;
    reg [NL-1:0] p2_dmask;
    reg [OA-1:0] p2_oidx;
    reg [32*PO-1:0] acc;
    reg [32*PO-1:0] acc_next;
    integer ro, ci;
    reg signed [8:0]  xin;
    reg signed [7:0]  wv;
    reg signed [31:0] rsum;
    always @* begin
        for (ro = 0; ro < PO; ro = ro + 1) begin
            rsum = 32'sd0;
            for (ci = 0; ci < PI; ci = ci + 1) begin
                xin = $signed({ib_rdata[8*ci + 7], ib_rdata[8*ci +: 8]}) + $signed(in_off_r[8:0]);
                wv = $signed(wb_rdata[8*(ro*PI + ci) +: 8]);
                if (p2_inside && (dw ? p2_dmask[ro*PI + ci] : p2_mask[ci])) rsum = rsum + xin * wv;
            end
            acc_next[32*ro +: 32] = p2_first ? rsum : $signed(acc[32*ro +: 32]) + rsum;
        end
    end

    // requant pipeline
    reg              q0_valid;
    reg [32*PO-1:0]  q0_acc;
    reg [OA-1:0]     q0_oidx;
    reg              q1_valid;
    reg [32*PO-1:0]  q1_x, q1_m;
    reg [5*PO-1:0]   q1_rs;
    reg [6*PO-1:0]   q1_ts;
    reg [OA-1:0]     q1_oidx;
    reg              q2_valid;
    reg [64*PO-1:0]  q2_prod;
    reg [PO-1:0]     q2_ovf;
    reg [5*PO-1:0]   q2_rs;
    reg [6*PO-1:0]   q2_ts;
    reg [OA-1:0]     q2_oidx;
    reg              q3_valid;
    reg [32*PO-1:0]  q3_high;
    reg [5*PO-1:0]   q3_rs;
    reg [OA-1:0]     q3_oidx;

    // stage q0 -> q1: bias add, split shift, left shift (int32 wrap as in C); SINGLE: no left
    // shift, no RoundingDivideByPOT (q0_rs = 0 makes it the identity), total shift 31 - shift
    // (1..62 for a shift in -31..30) for the q2 stage
    reg [5*PO-1:0]  q0_rs;
    reg [6*PO-1:0]  q0_ts;
    reg [32*PO-1:0] q0_xl;
    integer lo;
    reg signed [31:0] sh_v;
    reg [31:0] xb;
    always @* begin
        for (lo = 0; lo < PO; lo = lo + 1) begin
            xb = q0_acc[32*lo +: 32] + bias_rd[32*lo +: 32];
            sh_v = $signed(shift_rd[32*lo +: 32]);
            q0_ts[6*lo +: 6] = 6'd31 - sh_v[5:0];
            if (cfg_round) begin
                q0_xl[32*lo +: 32] = xb;
                q0_rs[5*lo +: 5] = 5'd0;
            end else if (sh_v > 32'sd0) begin
                q0_xl[32*lo +: 32] = xb << sh_v[4:0];
                q0_rs[5*lo +: 5] = 5'd0;
            end else begin
                q0_xl[32*lo +: 32] = xb;
                q0_rs[5*lo +: 5] = sh_v[4:0] == 5'd0 ? 5'd0 : (~sh_v[4:0] + 5'd1);
            end
        end
    end

    // stage q2 -> q3: SaturatingRoundingDoublingHighMul's nudge and truncating divide by 2^31;
    // SINGLE: + 2^(total shift - 1), arithmetic shift right by the total shift, low 32 bits
    reg [32*PO-1:0] q2_high;
    reg signed [63:0] pr, tot, s_tot;
    /* verilator lint_off UNUSEDSIGNAL */
    reg [63:0] tot_mag;  // |product + nudge| < 2^63; bits 62:31 are the quotient
    reg signed [63:0] s_res;  // the int32 cast keeps bits 31:0
    /* verilator lint_on UNUSEDSIGNAL */
    reg [5:0] ts;
    integer ho;
    always @* begin
        for (ho = 0; ho < PO; ho = ho + 1) begin
            pr = $signed(q2_prod[64*ho +: 64]);
            tot = pr + (pr >= 64'sd0 ? 64'sd1073741824 : -64'sd1073741823);
            tot_mag = tot[63] ? (~tot + 64'd1) : tot;
            ts = q2_ts[6*ho +: 6];
            // |product| <= 2^62 and the rounding term <= 2^61: no overflow
            s_tot = pr + $signed(64'd1 << (ts - 6'd1));
            s_res = s_tot >>> ts;
            if (cfg_round) q2_high[32*ho +: 32] = s_res[31:0];
            else if (q2_ovf[ho]) q2_high[32*ho +: 32] = 32'h7FFF_FFFF;
            else if (tot[63]) q2_high[32*ho +: 32] = ~tot_mag[62:31] + 32'd1;
            else q2_high[32*ho +: 32] = tot_mag[62:31];
        end
    end

    // stage q3 -> output buffer: RoundingDivideByPOT, output offset, clamp
    reg [8*PO-1:0] q3_out;
    integer fo;
    reg signed [31:0] hv, rv, ov;
    reg [31:0] rmask, rrem, rthr;
    always @* begin
        for (fo = 0; fo < PO; fo = fo + 1) begin
            hv = $signed(q3_high[32*fo +: 32]);
            rmask = (32'd1 << q3_rs[5*fo +: 5]) - 32'd1;
            rrem = hv & rmask;
            rthr = (rmask >> 1) + {31'd0, hv[31]};
            rv = (hv >>> q3_rs[5*fo +: 5]) + ((rrem > rthr) ? 32'sd1 : 32'sd0);
            ov = rv + out_off_s;
            if (ov < act_min_s) ov = act_min_s;
            if (ov > act_max_s) ov = act_max_s;
            q3_out[8*fo +: 8] = ov[7:0];
        end
    end

    wire pipe_busy = p1_valid | p2_valid | q0_valid | q1_valid | q2_valid | q3_valid;

    integer mo;
    always @(posedge clk) begin
        if (rst) begin
            p1_valid <= 1'b0; p2_valid <= 1'b0; q0_valid <= 1'b0;
            q1_valid <= 1'b0; q2_valid <= 1'b0; q3_valid <= 1'b0;
        end else begin
            // stage 1
            p1_valid <= (state == S_COMPUTE) && c_issuing;
            p1_inside <= c_inside;
            p1_first <= c_first;
            p1_last <= c_last;
            p1_row <= c_in_y[15:0];
            p1_col <= c_in_x[15:0];
            p1_icg <= dw ? c_dwicg : c_icg;
            p1_ocg <= c_ocg;
            p1_waddr <= c_waddr[WA-1:0];
            p1_mask <= c_mask;
            p1_dmask <= c_dmask;
            p1_oidx <= c_oidx[OA-1:0];
            // stage 2 (buffer data arrives with these)
            p2_valid <= p1_valid;
            p2_inside <= p1_inside;
            p2_first <= p1_first;
            p2_last <= p1_last;
            p2_ocg <= p1_ocg;
            p2_mask <= p1_mask;
            p2_dmask <= p1_dmask;
            p2_oidx <= p1_oidx;
            if (p2_valid) acc <= acc_next;
            // accumulated pixel enters requant
            q0_valid <= p2_valid && p2_last;
            if (p2_valid && p2_last) begin
                q0_acc <= acc_next;
                q0_grp <= p2_ocg[PA-1:0];
                q0_oidx <= p2_oidx;
            end
            q1_valid <= q0_valid;
            q1_x <= q0_xl;
            q1_m <= mult_rd;
            q1_rs <= q0_rs;
            q1_ts <= q0_ts;
            q1_oidx <= q0_oidx;
            q2_valid <= q1_valid;
            for (mo = 0; mo < PO; mo = mo + 1) begin
                q2_prod[64*mo +: 64] <= $signed(q1_x[32*mo +: 32]) * $signed(q1_m[32*mo +: 32]);
                q2_ovf[mo] <= (q1_x[32*mo +: 32] == 32'h8000_0000) &&
                              (q1_m[32*mo +: 32] == 32'h8000_0000);
            end
            q2_rs <= q1_rs;
            q2_ts <= q1_ts;
            q2_oidx <= q1_oidx;
            q3_valid <= q2_valid;
            q3_high <= q2_high;
            q3_rs <= q2_rs;
            q3_oidx <= q2_oidx;
        end
    end

    always @* begin
        ob_raddr = wb_stall ? b_oaddr : wa_oaddr[OA-1:0];
        ob_we = q3_valid;
        ob_waddr = q3_oidx;
        ob_wdata = q3_out;
    end

    // ---------------------------------------------------------------- write-back state
    // Stage A walks the output (pixel-major, channel-minor) and reads the output buffer; stage
    // B merges the byte into a write combiner (cb_*) that is written out, with byte strobes,
    // when the next byte falls into another word.  One byte per cycle unless the bus stalls.
    reg [31:0] wa_p, wa_pbase, wa_oaddr;
    reg [15:0] wa_oc;
    reg [15:0] wa_lane;
    reg        wa_done;
    reg        b_valid, b_last;
    reg [31:0] b_addr;
    reg [OA-1:0] b_oaddr;
    reg [LPO-1:0] b_lane;
    reg [29:0] cb_waddr;
    reg [31:0] cb_data;
    reg [3:0]  cb_strb;
    wire [31:0] wa_byte_addr = wa_pbase + {16'd0, wa_oc};
    wire        wa_last = (wa_oc == out_c - wa_n16) && (wa_p == npix_out - 32'd1);
    // Quad write-back: 4 channels from one output-buffer word go out as one full-word write when
    // OUT_C, OUT_ADDR and OUT_PSTRIDE are multiples of 4 (and PO >= 4).
    reg         wq_mode;
    reg         wr_dense;       // OUT_PSTRIDE = OUT_C: the output is one run of words
    reg  [31:0] wr_left;        // words of that run not yet accepted
    assign mem_wcount = wr_dense ? wr_left : 32'd1;
    wire [2:0]  wa_n = wq_mode ? 3'd4 : 3'd1;
    wire [15:0] wa_n16 = {13'd0, wa_n};
    wire [8*PO+31:0] ob_rdata_pad = {32'd0, ob_rdata};
    wire [31:0] b_word = ob_rdata_pad[8*b_lane +: 32];
    wire [7:0]  b_byte = b_word[7:0];
    wire        wb_conflict = (state == S_WB) && b_valid && (cb_strb != 4'd0) &&
                              (b_addr[31:2] != cb_waddr);
    wire        wb_stall = wb_conflict && !mem_ready;

    // ---------------------------------------------------------------- memory port
    always @* begin
        mem_req = 1'b0;
        mem_we = 1'b0;
        mem_addr = {f_waddr, 2'b00};
        mem_wdata = cb_data;
        mem_wstrb = 4'd0;
        if (f_issue) begin
            mem_req = 1'b1;
        end else if (wb_conflict ||
                     (state == S_WB_FLUSH && cb_strb != 4'd0)) begin
            mem_req = 1'b1;
            mem_we = 1'b1;
            mem_addr = {cb_waddr, 2'b00};
            mem_wstrb = cb_strb;
        end
    end

    // ---------------------------------------------------------------- load destinations
    // The prefetch buffer frees up when its word moves on, so the next read can go out then.
    wire       nb_pop = e_take || emit_w;
    wire       f_issue = (state == S_LOAD) && (f_left != 32'd0) &&
                         ({1'b0, f_out_n} + {1'b0, rq_cnt} < 4'd4);
    wire       f_acc = f_issue && mem_ready;
    assign mem_rcount = f_left;
    assign mem_flush = (state == S_ABORT);
    wire       f_resp = (f_out_n != 3'd0) && mem_rvalid;
    wire [7:0] emit_byte = e_word[8*e_bi +: 8];
    wire       emit_b = (state == S_LOAD) && rd_bytes && e_valid;
    wire       emit_w = (state == S_LOAD) && !rd_bytes && nb_valid;
    // Quad mode: channel counts that are multiples of 4 from an aligned address put whole words
    // into 4 lanes of one buffer word per cycle; otherwise one byte per cycle.
    reg        q_mode;
    wire [2:0] e_n = q_mode ? 3'd4 : 3'd1;
    wire [31:0] e_n32 = {29'd0, e_n};
    wire [15:0] e_n16 = {13'd0, e_n};
    wire [LPI:0] e_nl = {{(LPI-2){1'b0}}, e_n};
    // Depthwise input: each byte (input channel c) is written dw_m times, to the lanes of
    // output channels c*dw_m .. c*dw_m + dw_m - 1; the byte is used up on its last copy.
    wire       dw_in = dw && (phase == PH_IN);
    wire       e_adv = !dw_in || (ld_rep == dw_m - 16'd1);
    wire [15:0] ld_cn = dw_in ? out_c : in_c;  // lanes per pixel (input) or per tap (filter)
    wire       e_last = e_valid && e_adv && (q_mode || (e_bi == 2'd3) || (rd_left == 32'd1));
    wire       e_take = (state == S_LOAD) && rd_bytes && nb_valid && (!e_valid || e_last);
    /* verilator lint_off UNUSEDSIGNAL */
    wire [31:0] ld_waddr_full = ld_wgrp + ld_tbase + {16'd0, ld_icg};  // < WBUF_WORDS by check
    /* verilator lint_on UNUSEDSIGNAL */
    wire signed [31:0] shift_word = nb_word;
    wire bad_shift = emit_w && (phase == PH_SHIFT) &&
                     ((shift_word < -32'sd31) || (shift_word > 32'sd30));
    always @* begin
        ib_we = emit_b && (phase == PH_IN);
        ib_waddr = ld_iaddr[IA-1:0];
        ib_wlane = ld_lane;
        ib_wn = e_n;
        ib_wword = q_mode ? e_word : {24'd0, emit_byte};
        wb_we = emit_b && (phase == PH_FILT);
        wb_waddr = ld_waddr_full[WA-1:0];
        wb_wolane = ld_olane;
        wb_wlane = ld_lane;
        wb_wn = e_n;
        wb_wword = q_mode ? e_word : {24'd0, emit_byte};
        pm_we = emit_w;
        pm_sel = phase;
        pm_lane = ld_olane;
        pm_addr = ld_pgrp;
        pm_wdata = nb_word;
    end

    // ---------------------------------------------------------------- control FSM
    task automatic finish_error(input [7:0] code);
        begin
            st_error <= 1'b1;
            st_code <= code;
            state <= S_IDLE;
        end
    endtask

    always @(posedge clk) begin
        if (rst) begin
            state <= S_IDLE;
            phase <= PH_IN;
            st_done <= 1'b0;
            st_error <= 1'b0;
            st_code <= 8'd0;
            cyc_total <= 32'd0; cyc_compute <= 32'd0; cyc_mac <= 32'd0;
            cyc_load <= 32'd0; cyc_store <= 32'd0;
            c_issuing <= 1'b0;
            cb_strb <= 4'd0;
            f_out_n <= 3'd0;
            rq_cnt <= 3'd0;
        end else begin
            if (busy) cyc_total <= cyc_total + 32'd1;
            if (state == S_COMPUTE) cyc_compute <= cyc_compute + 32'd1;
            if (state == S_COMPUTE && c_issuing) cyc_mac <= cyc_mac + 32'd1;
            if (state == S_LD_START || state == S_LOAD) cyc_load <= cyc_load + 32'd1;
            if (state == S_WB || state == S_WB_FLUSH)
                cyc_store <= cyc_store + 32'd1;

            case (state)
            S_IDLE: if (start_req) begin
                state <= S_CHK1;
                st_done <= 1'b0;
                st_error <= 1'b0;
                st_code <= ERR_NONE;
                cyc_total <= 32'd0; cyc_compute <= 32'd0; cyc_mac <= 32'd0;
                cyc_load <= 32'd0; cyc_store <= 32'd0;
            end
            S_CHK1: begin
                icg <= ((dw ? out_c : in_c) + PI16 - 16'd1) >> LPI;
                dw_rem <= out_c;
                dw_m <= 16'd0;
                ocg <= (out_c + PO16 - 16'd1) >> LPO;
                kk <= {8'd0, k_h} * {8'd0, k_w};
                ekh <= {1'b0, ({8'd0, k_h} - 16'd1) * {8'd0, d_h}} + 17'd1;
                ekw <= {1'b0, ({8'd0, k_w} - 16'd1) * {8'd0, d_w}} + 17'd1;
                padded_h <= {2'd0, in_h} + {10'd0, pad_t} + {10'd0, pad_b};
                padded_w <= {2'd0, in_w} + {10'd0, pad_l} + {10'd0, pad_r};
                npix_in <= {16'd0, in_h} * {16'd0, in_w};
                npix_out <= {16'd0, out_h} * {16'd0, out_w};
                if (cfg_mode > CONFIG_MODE_DEPTHWISE || (dw && PO > PI)) finish_error(ERR_BAD_MODE);
                else if (zero_cfg) finish_error(ERR_ZERO_SIZE);
                else if (bad_param) finish_error(ERR_BAD_PARAM);
                else if (unaligned) finish_error(ERR_UNALIGNED);
                else state <= dw ? S_DIV : S_CHK2;
            end
            S_DIV: begin
                // depth multiplier by repeated subtraction: OUT_C / IN_C + 1 cycles
                if (dw_rem >= in_c) begin
                    dw_rem <= dw_rem - in_c;
                    dw_m <= dw_m + 16'd1;
                end else if (dw_rem != 16'd0) begin
                    finish_error(ERR_BAD_DEPTH);
                end else begin
                    state <= S_CHK2;
                end
            end
            S_CHK2: begin
                oh_lo <= ({16'd0, out_h} - 32'd1) * {24'd0, s_h} + {15'd0, ekh};
                ow_lo <= ({16'd0, out_w} - 32'd1) * {24'd0, s_w} + {15'd0, ekw};
                oh_hi <= {16'd0, out_h} * {24'd0, s_h} + {15'd0, ekh};
                ow_hi <= {16'd0, out_w} * {24'd0, s_w} + {15'd0, ekw};
                need_in <= {16'd0, npix_in} * {32'd0, icg};
                need_w <= {32'd0, ocg} * {32'd0, kk} * (dw ? 48'd1 : {32'd0, icg});
                need_o <= {32'd0, ocg} * {16'd0, npix_out};
                in_bytes <= npix_in * {16'd0, in_c};
                filt_bytes <= {16'd0, out_c} * {16'd0, kk} * (dw ? 32'd1 : {16'd0, in_c});
                kkicg <= {16'd0, kk} * (dw ? 32'd1 : {16'd0, icg});
                state <= S_CHK3;
            end
            S_CHK3: begin
                if ({15'd0, ekh} > {14'd0, padded_h} || {15'd0, ekw} > {14'd0, padded_w})
                    finish_error(ERR_KERNEL_TOO_BIG);
                else if (oh_lo > {14'd0, padded_h} || {14'd0, padded_h} >= oh_hi ||
                         ow_lo > {14'd0, padded_w} || {14'd0, padded_w} >= ow_hi ||
                         out_pstride < {16'd0, out_c})
                    finish_error(ERR_BAD_OUT_SHAPE);
                else if (need_in > IBUF48 || need_w > WBUF48 || need_o > OBUF48 ||
                         out_c > MAX_OC16)
                    finish_error(ERR_CAPACITY);
                else begin
                    phase <= PH_IN;
                    state <= S_LD_START;
                end
            end
            S_LD_START: begin
                ld_c <= 16'd0; ld_icg <= 16'd0; ld_t <= 16'd0; ld_rep <= 16'd0;
                ld_lane <= 0; ld_olane <= 0;
                ld_iaddr <= 32'd0; ld_wgrp <= 32'd0; ld_tbase <= 32'd0;
                ld_pgrp <= 0;
                rq_wp <= 2'd0; rq_rp <= 2'd0; rq_cnt <= 3'd0; e_valid <= 1'b0;
                q_mode <= (in_c[1:0] == 2'd0) &&
                          (((phase == PH_IN) && (in_addr[1:0] == 2'd0) && (!dw || dw_m == 16'd1)) ||
                           ((phase == PH_FILT) && (filt_addr[1:0] == 2'd0) && !dw));
                state <= S_LOAD;
                case (phase)
                    PH_IN:    begin f_waddr <= in_addr[31:2]; e_bi <= in_addr[1:0];
                                    rd_left <= in_bytes;
                                    f_left <= ({30'd0, in_addr[1:0]} + in_bytes + 32'd3) >> 2; end
                    PH_FILT:  begin f_waddr <= filt_addr[31:2]; e_bi <= filt_addr[1:0];
                                    rd_left <= filt_bytes;
                                    f_left <= ({30'd0, filt_addr[1:0]} + filt_bytes + 32'd3) >> 2; end
                    PH_BIAS:  begin f_waddr <= bias_addr[31:2]; e_bi <= 2'd0;
                                    rd_left <= {16'd0, out_c}; f_left <= {16'd0, out_c}; end
                    PH_MULT:  begin f_waddr <= mult_addr[31:2]; e_bi <= 2'd0;
                                    rd_left <= {16'd0, out_c}; f_left <= {16'd0, out_c}; end
                    default:  begin f_waddr <= shift_addr[31:2]; e_bi <= 2'd0;
                                    rd_left <= {16'd0, out_c}; f_left <= {16'd0, out_c}; end
                endcase
            end
            S_LOAD: begin
                if (f_acc) begin
                    f_waddr <= f_waddr + 30'd1;
                    f_left <= f_left - 32'd1;
                end
                // emitter: the queued word moves on as the current one runs out
                if (e_take) begin
                    e_word <= nb_word;
                    e_valid <= 1'b1;
                end else if (emit_b && e_last) begin
                    e_valid <= 1'b0;
                end
                if (emit_w) begin
                    if (bad_shift) begin
                        // let the reads in flight come back before reporting
                        abort_code <= ERR_BAD_SHIFT;
                        state <= S_ABORT;
                    end else begin
                        rd_left <= rd_left - 32'd1;
                        if (ld_olane == PO_M1) begin
                            ld_olane <= 0;
                            ld_pgrp <= ld_pgrp + 1'b1;
                        end else begin
                            ld_olane <= ld_olane + 1'b1;
                        end
                        if (rd_left == 32'd1) begin
                            if (phase == PH_SHIFT) begin
                                state <= S_COMPUTE;
                            end else begin
                                phase <= phase + 3'd1;
                                state <= S_LD_START;
                            end
                        end
                    end
                end
                if (emit_b && dw && phase == PH_FILT) begin
                    // 1HWO: tap-major, output channel minor; word (oc / PO) * KK + tap, row
                    // oc mod PO, lane oc mod PI (the lane the MAC uses for that row)
                    rd_left <= rd_left - 32'd1;
                    e_bi <= e_bi + 2'd1;
                    if (ld_c == out_c - 16'd1) begin
                        ld_c <= 16'd0; ld_lane <= 0; ld_olane <= 0; ld_wgrp <= 32'd0;
                        ld_t <= ld_t + 16'd1; ld_tbase <= ld_tbase + 32'd1;
                    end else begin
                        ld_c <= ld_c + 16'd1;
                        ld_lane <= (ld_lane == PI16[LPI:0] - 1'b1) ? 0 : ld_lane + 1'b1;
                        if (ld_olane == PO_M1) begin
                            ld_olane <= 0; ld_wgrp <= ld_wgrp + kkicg;
                        end else begin
                            ld_olane <= ld_olane + 1'b1;
                        end
                    end
                end else if (emit_b) begin
                    if (e_adv) begin
                        rd_left <= rd_left - e_n32;
                        e_bi <= e_bi + e_n[1:0];
                    end
                    if (dw_in) ld_rep <= e_adv ? 16'd0 : ld_rep + 16'd1;
                    if (ld_c == ld_cn - e_n16) begin
                        // last channel(s) of a pixel (input) or of a tap (filter)
                        ld_c <= 16'd0; ld_lane <= 0;
                        if (phase == PH_IN) begin
                            ld_iaddr <= ld_iaddr + 32'd1;
                        end else begin
                            ld_icg <= 16'd0;
                            if (ld_t == kk - 16'd1) begin
                                ld_t <= 16'd0; ld_tbase <= 32'd0;
                                if (ld_olane == PO_M1) begin
                                    ld_olane <= 0; ld_wgrp <= ld_wgrp + kkicg;
                                end else begin
                                    ld_olane <= ld_olane + 1'b1;
                                end
                            end else begin
                                ld_t <= ld_t + 16'd1; ld_tbase <= ld_tbase + {16'd0, icg};
                            end
                        end
                    end else begin
                        ld_c <= ld_c + e_n16;
                        if (ld_lane == PI16[LPI:0] - e_nl) begin
                            ld_lane <= 0;
                            if (phase == PH_IN) ld_iaddr <= ld_iaddr + 32'd1;
                            else ld_icg <= ld_icg + 16'd1;
                        end else begin
                            ld_lane <= ld_lane + e_nl;
                        end
                    end
                end
                if (emit_b) begin
                    if (rd_left == e_n32 && e_adv) begin
                        phase <= phase + 3'd1;
                        state <= S_LD_START;
                    end
                end
            end
            S_COMPUTE: begin
                if (!c_issuing && !pipe_busy) begin
                    state <= S_WB;
                    wa_p <= 32'd0; wa_pbase <= out_addr; wa_oc <= 16'd0; wa_lane <= 16'd0;
                    wa_oaddr <= 32'd0; wa_done <= 1'b0;
                    wq_mode <= (PO >= 4) && (out_c[1:0] == 2'd0) && (out_addr[1:0] == 2'd0) &&
                               (out_pstride[1:0] == 2'd0);
                    wr_dense <= (out_pstride == {16'd0, out_c});
                    wr_left <= ({30'd0, out_addr[1:0]} + npix_out * {16'd0, out_c} + 32'd3) >> 2;
                    b_valid <= 1'b0;
                    cb_strb <= 4'd0;
                end
            end
            S_WB: if (!wb_stall) begin
                if (b_valid) begin
                    // on a conflict the old word was accepted this cycle: start a new one
                    cb_waddr <= b_addr[31:2];
                    if (wq_mode) begin
                        cb_data <= b_word;
                        cb_strb <= 4'hF;
                    end else begin
                        cb_data[8*b_addr[1:0] +: 8] <= b_byte;
                        cb_strb <= (wb_conflict ? 4'd0 : cb_strb) | (4'd1 << b_addr[1:0]);
                    end
                    if (b_last) state <= S_WB_FLUSH;
                end
                b_valid <= !wa_done;
                if (!wa_done) begin
                    b_addr <= wa_byte_addr;
                    b_lane <= wa_lane[LPO-1:0];
                    b_oaddr <= wa_oaddr[OA-1:0];
                    b_last <= wa_last;
                    if (wa_last) wa_done <= 1'b1;
                    if (wa_oc == out_c - wa_n16) begin
                        wa_oc <= 16'd0; wa_lane <= 16'd0;
                        wa_p <= wa_p + 32'd1; wa_oaddr <= wa_p + 32'd1;
                        wa_pbase <= wa_pbase + out_pstride;
                    end else begin
                        wa_oc <= wa_oc + wa_n16;
                        if (wa_lane == PO16 - wa_n16) begin
                            wa_lane <= 16'd0; wa_oaddr <= wa_oaddr + npix_out;
                        end else begin
                            wa_lane <= wa_lane + wa_n16;
                        end
                    end
                end
            end
            S_WB_FLUSH: begin
                if (cb_strb == 4'd0) state <= S_FINISH;
                else if (mem_ready) cb_strb <= 4'd0;
            end
            S_FINISH: begin
                st_done <= 1'b1;
                state <= S_IDLE;
            end
            S_ABORT: if (f_out_n == 3'd0) finish_error(abort_code);
            default: state <= S_IDLE;
            endcase

            if (mem_req && mem_we && mem_ready) wr_left <= wr_left - 32'd1;
            // read queue bookkeeping (all states, so an abort can drain reads in flight)
            f_out_n <= f_out_n + {2'd0, f_acc} - {2'd0, f_resp};
            if (f_resp) begin
                rq_data[rq_wp] <= mem_rdata;
                rq_wp <= rq_wp + 2'd1;
            end
            if (nb_pop) rq_rp <= rq_rp + 2'd1;
            if (state != S_LD_START) rq_cnt <= rq_cnt + {2'd0, f_resp} - {2'd0, nb_pop};

            // compute issue counters (run from the end of loading until all steps issued)
            if (emit_w && phase == PH_SHIFT && rd_left == 32'd1 &&
                !bad_shift) begin
                c_issuing <= 1'b1;
                c_ocg <= 16'd0; c_oy <= 16'd0; c_ox <= 16'd0; c_icg <= 16'd0;
                c_ky <= 8'd0; c_kx <= 8'd0;
                c_base_y <= -$signed({18'd0, pad_t});
                c_base_x <= -$signed({18'd0, pad_l});
                c_tap_y <= 16'd0; c_tap_x <= 16'd0;
                c_waddr <= 32'd0; c_wgrp <= 32'd0; c_oidx <= 32'd0;
                c_icleft <= {1'b0, in_c};
            end else if (state == S_COMPUTE && c_issuing) begin
                if (!c_last_icg) begin
                    c_icg <= c_icg + 16'd1;
                    c_icleft <= c_icleft - PI17;
                    c_waddr <= c_waddr + 32'd1;
                end else begin
                    c_icg <= 16'd0;
                    c_icleft <= {1'b0, in_c};
                    if (!c_last_kx) begin
                        c_kx <= c_kx + 8'd1;
                        c_tap_x <= c_tap_x + {8'd0, d_w};
                        c_waddr <= c_waddr + 32'd1;
                    end else begin
                        c_kx <= 8'd0;
                        c_tap_x <= 16'd0;
                        if (!c_last_ky) begin
                            c_ky <= c_ky + 8'd1;
                            c_tap_y <= c_tap_y + {8'd0, d_h};
                            c_waddr <= c_waddr + 32'd1;
                        end else begin
                            c_ky <= 8'd0;
                            c_tap_y <= 16'd0;
                            c_oidx <= c_oidx + 32'd1;
                            if (c_ox != out_w - 16'd1) begin
                                c_ox <= c_ox + 16'd1;
                                c_base_x <= c_base_x + $signed({18'd0, s_w});
                                c_waddr <= c_wgrp;
                            end else begin
                                c_ox <= 16'd0;
                                c_base_x <= -$signed({18'd0, pad_l});
                                if (c_oy != out_h - 16'd1) begin
                                    c_oy <= c_oy + 16'd1;
                                    c_base_y <= c_base_y + $signed({18'd0, s_h});
                                    c_waddr <= c_wgrp;
                                end else begin
                                    c_oy <= 16'd0;
                                    c_base_y <= -$signed({18'd0, pad_t});
                                    c_wgrp <= c_wgrp + kkicg;
                                    c_waddr <= c_wgrp + kkicg;
                                    if (c_ocg != ocg - 16'd1) c_ocg <= c_ocg + 16'd1;
                                    else c_issuing <= 1'b0;
                                end
                            end
                        end
                    end
                end
            end
        end
    end

endmodule

`default_nettype wire
