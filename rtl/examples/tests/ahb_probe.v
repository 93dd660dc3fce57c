// An AHB-Lite test master for the memory port (tests/test_rtl_ahb.py): one run of transfers per
// CTRL write, pipelined as ARM IHI 0033A 3.1 has it (the next address phase overlaps the current
// data phase), so the shim's AHB slave timing and burst rules can be checked from tests.
// Wishbone register slave (s_wb_*), AHB-Lite master (m_ahb_*). Verilog-2005.
//   word 0 ADDR     the first transfer's address
//   word 1 CTRL     write: start, transfers - 1 [7:0], HSIZE [10:8], HBURST [14:12], write [16],
//                   skip [17] (the second address is 4 bytes past the burst's next one)
//                   the first transfer is NONSEQ, the others SEQ (NONSEQ each for SINGLE); the
//                   addresses follow HBURST's arithmetic (WRAPx wraps at x * 2^HSIZE bytes)
//   word 2 SUM      sum over reads of (index + 1) * HRDATA, mod 2^32; a read waits until done
//   word 3 PATTERN  write transfer i stores PATTERN + i
//   word 4 ERRS     ERROR responses in the last run
//   word 5 CYCLES   edges from the CTRL write to the last data phase's completing edge
module ahb_probe (
    input  wire        clk,
    input  wire        rst,
    input  wire [4:0]  s_wb_adr,
    input  wire        s_wb_cyc,
    input  wire        s_wb_stb,
    input  wire        s_wb_we,
    input  wire [31:0] s_wb_datwr,
    output reg  [31:0] s_wb_datrd,
    output reg         s_wb_ack,
    output reg  [31:0] m_ahb_haddr,
    output reg  [1:0]  m_ahb_htrans,
    output reg         m_ahb_hwrite,
    output reg  [2:0]  m_ahb_hsize,
    output reg  [2:0]  m_ahb_hburst,
    output wire [3:0]  m_ahb_hprot,
    output reg  [31:0] m_ahb_hwdata,
    input  wire [31:0] m_ahb_hrdata,
    input  wire        m_ahb_hready,
    input  wire        m_ahb_hresp
);
    localparam IDLE = 2'd0, NONSEQ = 2'd2, SEQ = 2'd3;
    reg [31:0] addr, sum, pattern, cycles, errs;
    reg [8:0]  left, aindex, dindex;
    reg        busy, dphase, dwrite, skip;
    assign m_ahb_hprot = 4'b0011;  // data access, privileged
    wire [2:0] reg_index = s_wb_adr[4:2];
    wire req = s_wb_cyc && s_wb_stb && !s_wb_ack && !(busy && !s_wb_we && reg_index == 3'd2);
    wire [31:0] bytes = 32'd1 << m_ahb_hsize;
    wire wrap = m_ahb_hburst == 3'd2 || m_ahb_hburst == 3'd4 || m_ahb_hburst == 3'd6;
    wire [31:0] span = (m_ahb_hburst == 3'd2 ? 32'd4 : m_ahb_hburst == 3'd4 ? 32'd8 : 32'd16) * bytes;
    wire [31:0] next_addr = (wrap ? ((m_ahb_haddr & ~(span - 1)) | ((m_ahb_haddr + bytes) & (span - 1)))
                                  : m_ahb_haddr + bytes) + ((skip && aindex == 9'd0) ? 32'd4 : 32'd0);

    always @(posedge clk) begin
        if (rst) begin
            addr <= 0; sum <= 0; pattern <= 0; cycles <= 0; errs <= 0; left <= 0; aindex <= 0; dindex <= 0;
            busy <= 0; dphase <= 0; dwrite <= 0; skip <= 0;
            s_wb_ack <= 0; s_wb_datrd <= 0;
            m_ahb_haddr <= 0; m_ahb_htrans <= IDLE; m_ahb_hwrite <= 0; m_ahb_hsize <= 3'd2;
            m_ahb_hburst <= 3'd0; m_ahb_hwdata <= 0;
        end else begin
            s_wb_ack <= req;
            if (busy) cycles <= cycles + 1;
            if (req && s_wb_we) begin
                case (reg_index)
                    3'd0: addr <= s_wb_datwr;
                    3'd3: pattern <= s_wb_datwr;
                    3'd1: if (!busy) begin
                        busy <= 1; cycles <= 0; errs <= 0; sum <= 0; aindex <= 0;
                        left <= {1'b0, s_wb_datwr[7:0]};
                        m_ahb_haddr <= addr; m_ahb_htrans <= NONSEQ; m_ahb_hwrite <= s_wb_datwr[16];
                        m_ahb_hsize <= s_wb_datwr[10:8]; m_ahb_hburst <= s_wb_datwr[14:12];
                        skip <= s_wb_datwr[17];
                    end
                    default: ;
                endcase
            end
            if (req && !s_wb_we) begin
                case (reg_index)
                    3'd0: s_wb_datrd <= addr;
                    3'd2: s_wb_datrd <= sum;
                    3'd4: s_wb_datrd <= errs;
                    3'd5: s_wb_datrd <= cycles;
                    default: s_wb_datrd <= 0;
                endcase
            end
            if (busy && m_ahb_hready) begin
                if (dphase) begin  // the data phase completes at this edge
                    if (!dwrite) sum <= sum + ({23'd0, dindex} + 32'd1) * m_ahb_hrdata;
                    if (m_ahb_hresp) errs <= errs + 1;
                end
                if (m_ahb_htrans[1]) begin  // the address phase is taken at this edge
                    dphase <= 1; dindex <= aindex; dwrite <= m_ahb_hwrite;
                    m_ahb_hwdata <= pattern + {23'd0, aindex};
                    if (left == 9'd0) begin
                        m_ahb_htrans <= IDLE;
                    end else begin
                        m_ahb_htrans <= m_ahb_hburst == 3'd0 ? NONSEQ : SEQ;
                        m_ahb_haddr <= next_addr;
                        left <= left - 1;
                        aindex <= aindex + 1;
                    end
                end else begin
                    dphase <= 0;
                    if (dphase) busy <= 0;
                end
            end
        end
    end
endmodule
