// A Wishbone test master for the memory port (tests/test_rtl_memory.py): COUNT classic cycles to
// consecutive words per CTRL write. Wishbone register slave (s_wb_*), Wishbone master (m_wb_*).
//   word 0 ADDR     the first word's address
//   word 1 CTRL     write: start, COUNT [8:0] accesses, write [16]
//   word 2 SUM      sum over reads of (index + 1) * data, mod 2^32; a read waits until done
//   word 3 PATTERN  write i stores PATTERN + i
//   word 4 ERRS     ERR answers in the last run
//   word 5 CYCLES   edges from the CTRL write to the last access's completing edge
module wb_probe (
    input  wire        clk,
    input  wire        rst,
    input  wire [4:0]  s_wb_adr,
    input  wire        s_wb_cyc,
    input  wire        s_wb_stb,
    input  wire        s_wb_we,
    input  wire [31:0] s_wb_datwr,
    output reg  [31:0] s_wb_datrd,
    output reg         s_wb_ack,
    output reg         m_wb_cyc,
    output reg         m_wb_stb,
    output reg         m_wb_we,
    output reg  [31:0] m_wb_adr,
    output reg  [31:0] m_wb_datwr,
    output wire [3:0]  m_wb_sel,
    input  wire [31:0] m_wb_datrd,
    input  wire        m_wb_ack,
    input  wire        m_wb_err
);
    reg [31:0] addr, sum, pattern, cycles, errs;
    reg [8:0]  left, index;
    reg        busy;
    assign m_wb_sel = 4'hF;
    wire [2:0] reg_index = s_wb_adr[4:2];
    wire req = s_wb_cyc && s_wb_stb && !s_wb_ack && !(busy && !s_wb_we && reg_index == 3'd2);

    always @(posedge clk) begin
        if (rst) begin
            addr <= 0; sum <= 0; pattern <= 0; cycles <= 0; errs <= 0; left <= 0; index <= 0; busy <= 0;
            s_wb_ack <= 0; s_wb_datrd <= 0;
            m_wb_cyc <= 0; m_wb_stb <= 0; m_wb_we <= 0; m_wb_adr <= 0; m_wb_datwr <= 0;
        end else begin
            s_wb_ack <= req;
            if (busy) cycles <= cycles + 1;
            if (req && s_wb_we) begin
                case (reg_index)
                    3'd0: addr <= s_wb_datwr;
                    3'd3: pattern <= s_wb_datwr;
                    3'd1: if (!busy && s_wb_datwr[8:0] != 0) begin
                        busy <= 1; cycles <= 0; errs <= 0; sum <= 0; index <= 0;
                        left <= s_wb_datwr[8:0];
                        m_wb_cyc <= 1; m_wb_stb <= 1; m_wb_we <= s_wb_datwr[16];
                        m_wb_adr <= addr; m_wb_datwr <= pattern;
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
            if (busy && m_wb_stb && (m_wb_ack || m_wb_err)) begin
                if (!m_wb_we) sum <= sum + ({23'd0, index} + 32'd1) * m_wb_datrd;
                if (m_wb_err) errs <= errs + 1;
                index <= index + 1;
                left <= left - 1;
                m_wb_adr <= m_wb_adr + 4;
                m_wb_datwr <= pattern + {23'd0, index} + 32'd1;
                if (left == 9'd1) begin
                    busy <= 0; m_wb_cyc <= 0; m_wb_stb <= 0;
                end
            end
        end
    end
endmodule
