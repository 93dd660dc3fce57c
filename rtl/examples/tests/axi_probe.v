// A test master for the memory port (tests/test_rtl_memory.py): one AXI4 burst per CTRL write,
// any length, size and burst type, so the shim's burst rules can be checked from firmware-free
// tests. Wishbone register slave (s_wb_*), AXI4 master (m_axi_*). Verilog-2005.
//   word 0 ADDR     the burst's address
//   word 1 CTRL     write: start a burst, len [7:0], size [10:8], burst [13:12], write [16]
//   word 2 SUM      sum over read beats of (beat index + 1) * data, mod 2^32; a read waits until done
//   word 3 PATTERN  write beat i carries PATTERN + i (all byte lanes)
//   word 4 RESP     OR of the RRESP/BRESP values of the last burst
//   word 5 CYCLES   edges from the CTRL write to the last handshake of the last burst
module axi_probe (
    input  wire        clk,
    input  wire        rst,
    input  wire [4:0]  s_wb_adr,
    input  wire        s_wb_cyc,
    input  wire        s_wb_stb,
    input  wire        s_wb_we,
    input  wire [31:0] s_wb_datwr,
    output reg  [31:0] s_wb_datrd,
    output reg         s_wb_ack,
    output reg  [31:0] m_axi_araddr,
    output reg  [7:0]  m_axi_arlen,
    output reg  [2:0]  m_axi_arsize,
    output reg  [1:0]  m_axi_arburst,
    output reg         m_axi_arvalid,
    input  wire        m_axi_arready,
    input  wire [31:0] m_axi_rdata,
    input  wire [1:0]  m_axi_rresp,
    input  wire        m_axi_rlast,
    input  wire        m_axi_rvalid,
    output wire        m_axi_rready,
    output reg  [31:0] m_axi_awaddr,
    output reg  [7:0]  m_axi_awlen,
    output reg  [2:0]  m_axi_awsize,
    output reg  [1:0]  m_axi_awburst,
    output reg         m_axi_awvalid,
    input  wire        m_axi_awready,
    output reg  [31:0] m_axi_wdata,
    output wire [3:0]  m_axi_wstrb,
    output reg         m_axi_wlast,
    output reg         m_axi_wvalid,
    input  wire        m_axi_wready,
    input  wire [1:0]  m_axi_bresp,
    input  wire        m_axi_bvalid,
    output wire        m_axi_bready
);
    reg [31:0] addr, sum, pattern, cycles;
    reg [1:0]  resp;
    reg        busy, reading;
    reg [8:0]  beat;
    assign m_axi_rready = 1'b1;
    assign m_axi_bready = 1'b1;
    assign m_axi_wstrb = 4'hF;
    wire [2:0] index = s_wb_adr[4:2];
    wire req = s_wb_cyc && s_wb_stb && !s_wb_ack && !(busy && !s_wb_we && index == 3'd2);

    always @(posedge clk) begin
        if (rst) begin
            addr <= 0; sum <= 0; pattern <= 0; cycles <= 0; resp <= 0; busy <= 0; reading <= 0; beat <= 0;
            s_wb_ack <= 0; s_wb_datrd <= 0;
            m_axi_arvalid <= 0; m_axi_awvalid <= 0; m_axi_wvalid <= 0; m_axi_wlast <= 0;
            m_axi_araddr <= 0; m_axi_arlen <= 0; m_axi_arsize <= 0; m_axi_arburst <= 0;
            m_axi_awaddr <= 0; m_axi_awlen <= 0; m_axi_awsize <= 0; m_axi_awburst <= 0; m_axi_wdata <= 0;
        end else begin
            s_wb_ack <= req;
            if (busy) cycles <= cycles + 1;
            if (req && s_wb_we) begin
                case (index)
                    3'd0: addr <= s_wb_datwr;
                    3'd3: pattern <= s_wb_datwr;
                    3'd1: if (!busy) begin
                        busy <= 1; cycles <= 0; resp <= 0; sum <= 0; beat <= 0;
                        reading <= !s_wb_datwr[16];
                        if (s_wb_datwr[16]) begin
                            m_axi_awaddr <= addr; m_axi_awlen <= s_wb_datwr[7:0];
                            m_axi_awsize <= s_wb_datwr[10:8]; m_axi_awburst <= s_wb_datwr[13:12];
                            m_axi_awvalid <= 1; m_axi_wvalid <= 1; m_axi_wdata <= pattern;
                            m_axi_wlast <= s_wb_datwr[7:0] == 8'd0;
                        end else begin
                            m_axi_araddr <= addr; m_axi_arlen <= s_wb_datwr[7:0];
                            m_axi_arsize <= s_wb_datwr[10:8]; m_axi_arburst <= s_wb_datwr[13:12];
                            m_axi_arvalid <= 1;
                        end
                    end
                    default: ;
                endcase
            end
            if (req && !s_wb_we) begin
                case (index)
                    3'd0: s_wb_datrd <= addr;
                    3'd2: s_wb_datrd <= sum;
                    3'd3: s_wb_datrd <= pattern;
                    3'd4: s_wb_datrd <= {30'd0, resp};
                    3'd5: s_wb_datrd <= cycles;
                    default: s_wb_datrd <= 0;
                endcase
            end
            if (m_axi_arvalid && m_axi_arready) m_axi_arvalid <= 0;
            if (m_axi_awvalid && m_axi_awready) m_axi_awvalid <= 0;
            if (busy && reading && m_axi_rvalid) begin
                sum <= sum + ({23'd0, beat} + 32'd1) * m_axi_rdata;
                resp <= resp | m_axi_rresp;
                beat <= beat + 1;
                if (m_axi_rlast) busy <= 0;
            end
            if (busy && !reading && m_axi_wvalid && m_axi_wready) begin
                beat <= beat + 1;
                m_axi_wdata <= pattern + {23'd0, beat} + 32'd1;
                m_axi_wlast <= beat + 9'd1 == {1'b0, m_axi_awlen};
                if (m_axi_wlast) m_axi_wvalid <= 0;
            end
            if (busy && !reading && m_axi_bvalid) begin
                resp <= resp | m_axi_bresp;
                busy <= 0;
            end
        end
    end
endmodule
