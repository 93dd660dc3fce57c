// tandem_conv_engine_axi: the conv engine (tandem_conv_accel.v) behind standard buses, for
// Tandem.RtlPeripheral (platforms/accel/conv*.repl) and cocotbext-axi benches: an AXI4-Lite
// register slave (s_axil_*) and an AXI4 master (m_axi_*) on the board's memory, named as
// sim/rtlsim/ports.py's convention wants.  Verilog-2005.
//
// Registers: the engine's map (sim/accel/regmap.py, rtl/generated/tandem_accel_regs.vh) at byte
// offset 4 * index.  AW and W are taken together; an access past the last register or a write
// with WSTRB other than 4'hF gets SLVERR and changes nothing.  Reads return in the cycle after
// AR.  STATUS and irq also cover the bus: while the master still has a read burst or a write
// response outstanding (a drained burst after an abort, the B of the last output word), STATUS
// reads BUSY and irq stays low, and register writes wait (AWREADY low), so a START never
// overlaps the previous run's traffic and DONE means the output is in memory.  An error
// response (SLVERR, DECERR) on any beat of a run makes that run end with STATUS.ERROR and
// ERR_CODE = ERR_BUS_ERROR; START clears it.  The engine's CYCLES ends when it hands over its
// last write; the write responses after it are not in the count.
//
// Memory: the engine's fetcher asks for consecutive words (mem_rcount says how many are still
// to come); each time no read burst is open, the request becomes one INCR burst of
// min(mem_rcount, MAX_BURST, words to the next 4 KiB boundary) beats (ARSIZE 4 bytes; a burst
// never crosses 4 KiB, ARM IHI 0022E A3.4.1), and the engine's next requests are accepted as
// claims on its beats.  RREADY is high only for beats the engine has claimed, so the engine's
// 4-word read queue bounds what is in flight; an aborted run's unclaimed beats are drained.
// Writes the same way: the first write of a run opens an INCR burst of min(mem_wcount,
// MAX_BURST, words to the next 4 KiB boundary) beats (mem_wcount is 1 unless the output is
// dense), and the engine's writes become its beats, each taken as the previous one is accepted,
// WSTRB the engine's byte strobes; up to 30 write responses may be pending.
// ARID/AWID are 0, so responses come back in order.
`default_nettype none

module tandem_conv_engine_axi #(
    parameter integer PO = 8,
    parameter integer PI = 8,
    parameter integer IBUF_WORDS = 1024,
    parameter integer WBUF_WORDS = 512,
    parameter integer OBUF_WORDS = 1024,
    parameter integer MAX_OC = 64,
    parameter integer MAX_BURST = 16     // beats per read burst, 1..256
) (
    input  wire        clk,
    input  wire        rst,
    // AXI4-Lite register slave
    input  wire [11:0] s_axil_awaddr,
    input  wire        s_axil_awvalid,
    output wire        s_axil_awready,
    input  wire [31:0] s_axil_wdata,
    input  wire [3:0]  s_axil_wstrb,
    input  wire        s_axil_wvalid,
    output wire        s_axil_wready,
    output reg  [1:0]  s_axil_bresp,
    output reg         s_axil_bvalid,
    input  wire        s_axil_bready,
    input  wire [11:0] s_axil_araddr,
    input  wire        s_axil_arvalid,
    output wire        s_axil_arready,
    output reg  [31:0] s_axil_rdata,
    output reg  [1:0]  s_axil_rresp,
    output reg         s_axil_rvalid,
    input  wire        s_axil_rready,
    // AXI4 memory master
    output wire [0:0]  m_axi_arid,
    output reg  [31:0] m_axi_araddr,
    output reg  [7:0]  m_axi_arlen,
    output wire [2:0]  m_axi_arsize,
    output wire [1:0]  m_axi_arburst,
    output reg         m_axi_arvalid,
    input  wire        m_axi_arready,
    input  wire [0:0]  m_axi_rid,
    input  wire [31:0] m_axi_rdata,
    input  wire [1:0]  m_axi_rresp,
    input  wire        m_axi_rlast,
    input  wire        m_axi_rvalid,
    output wire        m_axi_rready,
    output wire [0:0]  m_axi_awid,
    output reg  [31:0] m_axi_awaddr,
    output reg  [7:0]  m_axi_awlen,
    output wire [2:0]  m_axi_awsize,
    output wire [1:0]  m_axi_awburst,
    output reg         m_axi_awvalid,
    input  wire        m_axi_awready,
    output reg  [31:0] m_axi_wdata,
    output reg  [3:0]  m_axi_wstrb,
    output reg         m_axi_wlast,
    output reg         m_axi_wvalid,
    input  wire        m_axi_wready,
    input  wire [0:0]  m_axi_bid,
    input  wire [1:0]  m_axi_bresp,
    input  wire        m_axi_bvalid,
    output wire        m_axi_bready,
    output wire        irq
);
`include "tandem_accel_regs.vh"

    generate
        if (MAX_BURST < 1 || MAX_BURST > 256) begin : g_check_burst
            MAX_BURST_must_be_1_to_256 u_bad_burst ();
        end
    endgenerate
    localparam [31:0] MAXB = MAX_BURST;

    // ---------------------------------------------------------------- engine
    wire        eng_irq, eng_busy;
    wire [31:0] eng_rdata;
    wire        mem_req, mem_we;
    wire [31:0] mem_addr, mem_wdata, mem_rcount, mem_wcount;
    wire [3:0]  mem_wstrb;
    wire        mem_flush;
    wire        mem_ready, mem_rvalid;
    wire        reg_sel, reg_we;
    wire [4:0]  reg_addr;

    tandem_conv_accel #(
        .PO(PO), .PI(PI), .IBUF_WORDS(IBUF_WORDS), .WBUF_WORDS(WBUF_WORDS),
        .OBUF_WORDS(OBUF_WORDS), .MAX_OC(MAX_OC)
    ) u_engine (
        .clk(clk), .rst(rst),
        .reg_sel(reg_sel), .reg_we(reg_we), .reg_addr(reg_addr), .reg_wdata(s_axil_wdata),
        .reg_rdata(eng_rdata), .irq(eng_irq),
        .mem_req(mem_req), .mem_we(mem_we), .mem_addr(mem_addr), .mem_wdata(mem_wdata),
        .mem_wstrb(mem_wstrb), .mem_ready(mem_ready), .mem_rvalid(mem_rvalid),
        .mem_rdata(m_axi_rdata), .mem_rcount(mem_rcount), .mem_wcount(mem_wcount), .mem_flush(mem_flush), .busy(eng_busy)
    );

    // ---------------------------------------------------------------- read master
    reg  [8:0]  claim_left;   // beats of the open burst no engine request has claimed yet
    reg  [31:0] claim_addr;   // the next such beat's address
    reg  [8:0]  r_left;       // beats of the open burst not yet received
    reg  [2:0]  claimed;      // claimed beats not yet received (the engine's reads in flight)
    wire        rd_req = mem_req && !mem_we;
    wire [10:0] room = 11'd1024 - {1'b0, mem_addr[11:2]};
    wire [31:0] cap = ({21'd0, room} < MAXB) ? {21'd0, room} : MAXB;
    wire [31:0] beats = (mem_rcount < cap) ? mem_rcount : cap;
    wire        open_burst = rd_req && (r_left == 9'd0) && !m_axi_arvalid;
    wire        claim = rd_req && (claim_left != 9'd0) && (mem_addr == claim_addr);
    // after an abort the unclaimed beats are drained, also once the engine has gone idle
    reg         draining;
    assign m_axi_rready = (claimed != 3'd0) || mem_flush || draining;
    wire        r_beat = m_axi_rvalid && m_axi_rready;
    wire        drain = r_beat && (claimed == 3'd0);
    assign mem_rvalid = r_beat && (claimed != 3'd0);
    assign m_axi_arid = 1'b0;
    assign m_axi_arsize = 3'd2;
    assign m_axi_arburst = 2'b01;

    // ---------------------------------------------------------------- write master
    reg  [4:0]  b_pending;    // write bursts whose response has not come back
    reg  [8:0]  w_left;       // beats of the open write burst not yet taken from the engine
    reg  [31:0] w_next;       // the next such beat's address
    wire        wr_req = mem_req && mem_we;
    wire [10:0] w_room = 11'd1024 - {1'b0, mem_addr[11:2]};
    wire [31:0] w_cap = ({21'd0, w_room} < MAXB) ? {21'd0, w_room} : MAXB;
    wire [31:0] w_beats = (mem_wcount < w_cap) ? mem_wcount : w_cap;
    wire        open_wburst = wr_req && (w_left == 9'd0) && !m_axi_awvalid && (b_pending < 5'd30);
    // a beat is taken as the previous one leaves (in this cycle at the latest)
    wire        w_free = !m_axi_wvalid || m_axi_wready;
    wire        wr_accept = wr_req && (w_left != 9'd0) && (mem_addr == w_next) && w_free;
    wire        b_beat = m_axi_bvalid && m_axi_bready;
    assign m_axi_awid = 1'b0;
    assign m_axi_awsize = 3'd2;
    assign m_axi_awburst = 2'b01;
    assign m_axi_bready = 1'b1;
    assign mem_ready = claim || wr_accept;

    wire quiet = (r_left == 9'd0) && !m_axi_arvalid && (w_left == 9'd0) && !m_axi_awvalid &&
                 !m_axi_wvalid && (b_pending == 5'd0);
    reg  bus_err;
    assign irq = eng_irq && quiet;

    // ---------------------------------------------------------------- register slave
    wire do_write = s_axil_awvalid && s_axil_wvalid && !s_axil_bvalid && quiet;
    wire do_read = s_axil_arvalid && !s_axil_rvalid && !do_write;
    wire w_ok = (s_axil_awaddr[11:7] == 5'd0) && (s_axil_wstrb == 4'hF);
    wire r_ok = (s_axil_araddr[11:7] == 5'd0);
    assign s_axil_awready = do_write;
    assign s_axil_wready = do_write;
    assign s_axil_arready = do_read;
    assign reg_sel = (do_write && w_ok) || do_read;
    assign reg_we = do_write;
    assign reg_addr = do_write ? s_axil_awaddr[6:2] : s_axil_araddr[6:2];
    wire start_wr = do_write && w_ok && (reg_addr == REG_CTRL) && s_axil_wdata[CTRL_START_LSB] &&
                    !eng_busy;
    // STATUS as the CPU sees it: the engine's, held BUSY while the bus is not quiet, and a bus
    // error reported as the run's error
    reg [31:0] rvalue;
    always @* begin
        rvalue = eng_rdata;
        if (reg_addr == REG_STATUS) begin
            if (!quiet) begin
                rvalue[STATUS_BUSY_LSB] = 1'b1;
                rvalue[STATUS_DONE_LSB] = 1'b0;
                rvalue[STATUS_ERROR_LSB] = 1'b0;
                rvalue[STATUS_ERR_CODE_LSB +: 8] = ERR_NONE;
            end else if (bus_err && !eng_busy) begin
                rvalue[STATUS_DONE_LSB] = 1'b0;
                rvalue[STATUS_ERROR_LSB] = 1'b1;
                rvalue[STATUS_ERR_CODE_LSB +: 8] = ERR_BUS_ERROR;
            end
        end
    end

    always @(posedge clk) begin
        if (rst) begin
            s_axil_bvalid <= 1'b0; s_axil_bresp <= 2'b00;
            s_axil_rvalid <= 1'b0; s_axil_rresp <= 2'b00; s_axil_rdata <= 32'd0;
            m_axi_arvalid <= 1'b0; m_axi_araddr <= 32'd0; m_axi_arlen <= 8'd0;
            m_axi_awvalid <= 1'b0; m_axi_awaddr <= 32'd0; m_axi_awlen <= 8'd0;
            m_axi_wvalid <= 1'b0; m_axi_wdata <= 32'd0; m_axi_wstrb <= 4'd0; m_axi_wlast <= 1'b0;
            w_left <= 9'd0; w_next <= 32'd0;
            claim_left <= 9'd0; claim_addr <= 32'd0; r_left <= 9'd0; claimed <= 3'd0;
            draining <= 1'b0;
            b_pending <= 5'd0;
            bus_err <= 1'b0;
        end else begin
            // register slave
            if (do_write) begin
                s_axil_bvalid <= 1'b1;
                s_axil_bresp <= w_ok ? 2'b00 : 2'b10;
            end else if (s_axil_bready) begin
                s_axil_bvalid <= 1'b0;
            end
            if (do_read) begin
                s_axil_rvalid <= 1'b1;
                s_axil_rresp <= r_ok ? 2'b00 : 2'b10;
                s_axil_rdata <= r_ok ? rvalue : 32'd0;
            end else if (s_axil_rready) begin
                s_axil_rvalid <= 1'b0;
            end
            // read bursts
            if (open_burst) begin
                m_axi_arvalid <= 1'b1;
                m_axi_araddr <= {mem_addr[31:2], 2'b00};
                m_axi_arlen <= beats[7:0] - 8'd1;
                claim_addr <= {mem_addr[31:2], 2'b00};
            end else if (m_axi_arvalid && m_axi_arready) begin
                m_axi_arvalid <= 1'b0;
            end
            if (open_burst) claim_left <= beats[8:0];
            else if (claim || drain) claim_left <= claim_left - 9'd1;
            if (claim || drain) claim_addr <= claim_addr + 32'd4;
            if (open_burst) r_left <= beats[8:0];
            else if (r_beat) r_left <= r_left - 9'd1;
            claimed <= claimed + {2'd0, claim} - {2'd0, mem_rvalid};
            if (mem_flush) draining <= 1'b1;
            else if (r_left == 9'd0 || (r_left == 9'd1 && r_beat)) draining <= 1'b0;
            // write bursts: AW when the first beat is asked for, then the beats as they come
            if (open_wburst) begin
                m_axi_awvalid <= 1'b1;
                m_axi_awaddr <= {mem_addr[31:2], 2'b00};
                m_axi_awlen <= w_beats[7:0] - 8'd1;
                w_left <= w_beats[8:0];
                w_next <= {mem_addr[31:2], 2'b00};
            end else begin
                if (m_axi_awvalid && m_axi_awready) m_axi_awvalid <= 1'b0;
                if (wr_accept) begin
                    w_left <= w_left - 9'd1;
                    w_next <= w_next + 32'd4;
                end
            end
            if (wr_accept) begin
                m_axi_wvalid <= 1'b1;
                // bytes outside the strobes are zeroed (the engine leaves them undefined)
                m_axi_wdata <= mem_wdata & {{8{mem_wstrb[3]}}, {8{mem_wstrb[2]}},
                                            {8{mem_wstrb[1]}}, {8{mem_wstrb[0]}}};
                m_axi_wstrb <= mem_wstrb;
                m_axi_wlast <= (w_left == 9'd1);
            end else if (m_axi_wvalid && m_axi_wready) begin
                m_axi_wvalid <= 1'b0;
            end
            b_pending <= b_pending + {4'd0, open_wburst} - {4'd0, b_beat};
            // bus errors of the current run
            if (start_wr) bus_err <= 1'b0;
            else if ((r_beat && m_axi_rresp[1]) || (b_beat && m_axi_bresp[1])) bus_err <= 1'b1;
        end
    end

    // the low address bits and the IDs and RLAST carry nothing this master needs
    wire unused = &{1'b0, s_axil_awaddr[1:0], s_axil_araddr[1:0], m_axi_rid, m_axi_rlast,
                    m_axi_bid, m_axi_rresp[0], m_axi_bresp[0], beats[31:9], w_beats[31:9]};

endmodule

`default_nettype wire
