// An int8 vector multiply-accumulate unit: the second example of docs/bring-your-own-accelerator.md,
// written only against its port convention. An AXI4-Lite register slave (s_axil_*) and an AXI4
// master (m_axi_*, as cocotbext-axi's AxiBus names them) that reads two int8 vectors from the
// board's memory and returns BIAS + sum((in[i] + IN_OFFSET) * (w[i] + W_OFFSET)), the dot
// product of TFLite's FULLY_CONNECTED. Verilog-2005.
//
// Registers (byte offsets; 32-bit words):
//   0x00 IN_ADDR   RW  address of the input vector (word aligned: bits 1:0 are ignored)
//   0x04 W_ADDR    RW  address of the weight vector (word aligned)
//   0x08 LEN       RW  vector length in bytes (the bytes of the last word past LEN are not used)
//   0x0C IN_OFFSET RW  signed, added to every input byte
//   0x10 W_OFFSET  RW  signed, added to every weight byte
//   0x14 BIAS      RW  the accumulator's start value
//   0x18 OUT_ADDR  RW  where CTRL.STORE writes RESULT (word aligned)
//   0x1C CTRL      W   bit 0 START (ignored while BUSY), bit 1 ACK (clear DONE and irq),
//                      bit 2 STORE: after the run, write RESULT to OUT_ADDR
//   0x20 STATUS    R   bit 0 BUSY, bit 1 DONE, bit 2 ERR (a bus error response in the last run)
//   0x24 RESULT    R   the accumulator; a read while BUSY is held until the run is done
//   0x28 ID        R   0x564D4131 ("VMA1")
// irq = DONE (level).
//
// Memory traffic: INCR bursts of 32-bit beats, CHUNK words of input (kept in a buffer), then
// the same number of weight words, multiplied as they arrive; a burst never crosses a 4 KiB
// boundary (AXI4, ARM IHI 0022 A3.4.1). RREADY and BREADY are always high.
module vmac_axi #(
    parameter CHUNK = 16  // words per burst, 1..16
) (
    input  wire        clk,
    input  wire        rst,
    input  wire [11:0] s_axil_awaddr,
    input  wire        s_axil_awvalid,
    output wire        s_axil_awready,
    input  wire [31:0] s_axil_wdata,
    input  wire [3:0]  s_axil_wstrb,
    input  wire        s_axil_wvalid,
    output wire        s_axil_wready,
    output wire [1:0]  s_axil_bresp,
    output reg         s_axil_bvalid,
    input  wire        s_axil_bready,
    input  wire [11:0] s_axil_araddr,
    input  wire        s_axil_arvalid,
    output wire        s_axil_arready,
    output reg  [31:0] s_axil_rdata,
    output wire [1:0]  s_axil_rresp,
    output reg         s_axil_rvalid,
    input  wire        s_axil_rready,
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
    output wire [7:0]  m_axi_awlen,
    output wire [2:0]  m_axi_awsize,
    output wire [1:0]  m_axi_awburst,
    output reg         m_axi_awvalid,
    input  wire        m_axi_awready,
    output reg  [31:0] m_axi_wdata,
    output wire [3:0]  m_axi_wstrb,
    output wire        m_axi_wlast,
    output reg         m_axi_wvalid,
    input  wire        m_axi_wready,
    input  wire [0:0]  m_axi_bid,
    input  wire [1:0]  m_axi_bresp,
    input  wire        m_axi_bvalid,
    output wire        m_axi_bready,
    output wire        irq
);
    localparam S_IDLE = 3'd0, S_IN = 3'd1, S_W = 3'd2, S_STORE = 3'd3, S_RESP = 3'd4;

    reg [31:0] in_addr, w_addr, len, in_off, w_off, bias, out_addr, acc, left, in_ptr, w_ptr;
    reg        done, err, store;
    reg [2:0]  state;
    reg [4:0]  beat, count;
    reg [31:0] buffer [0:15];

    // register slave (as mac_axil.v: AW and W together; a RESULT read while busy waits)
    wire busy = state != S_IDLE;
    wire do_write = s_axil_awvalid && s_axil_wvalid && !s_axil_bvalid;
    wire do_read = s_axil_arvalid && !s_axil_rvalid && !do_write;
    wire [3:0] windex = s_axil_awaddr[5:2];
    wire [3:0] rindex = s_axil_araddr[5:2];
    assign s_axil_awready = do_write;
    assign s_axil_wready = do_write;
    assign s_axil_arready = do_read && !(busy && rindex == 4'd9);
    assign s_axil_bresp = 2'b00;
    assign s_axil_rresp = 2'b00;
    assign irq = done;
    reg [31:0] rvalue;
    always @(*) begin
        case (rindex)
            4'd0: rvalue = in_addr;
            4'd1: rvalue = w_addr;
            4'd2: rvalue = len;
            4'd3: rvalue = in_off;
            4'd4: rvalue = w_off;
            4'd5: rvalue = bias;
            4'd6: rvalue = out_addr;
            4'd8: rvalue = {29'd0, err, done, busy};
            4'd9: rvalue = acc;
            4'd10: rvalue = 32'h564D4131;
            default: rvalue = 32'd0;
        endcase
    end

    // the next burst: at most CHUNK words, the words left, and the words before either
    // pointer's next 4 KiB boundary
    wire [31:0] words_left = (left + 32'd3) >> 2;
    wire [10:0] in_room = 11'd1024 - {1'b0, in_ptr[11:2]};
    wire [10:0] w_room = 11'd1024 - {1'b0, w_ptr[11:2]};
    wire [10:0] room = in_room < w_room ? in_room : w_room;
    wire [31:0] cap = room < CHUNK ? {21'd0, room} : CHUNK;
    wire [4:0]  burst = words_left < cap ? words_left[4:0] : cap[4:0];

    // one weight beat against its buffered input word, bytes past LEN masked
    wire [31:0] x = buffer[beat[3:0]];
    wire [31:0] w = m_axi_rdata;
    function [31:0] term;
        input [7:0] xb, wb;
        input       on;
        begin
            term = on ? ($signed({{24{xb[7]}}, xb}) + $signed(in_off)) *
                         ($signed({{24{wb[7]}}, wb}) + $signed(w_off)) : 32'd0;
        end
    endfunction
    wire [31:0] dot = term(x[7:0], w[7:0], left > 32'd0) + term(x[15:8], w[15:8], left > 32'd1) +
                      term(x[23:16], w[23:16], left > 32'd2) + term(x[31:24], w[31:24], left > 32'd3);

    assign m_axi_arid = 1'b0;
    assign m_axi_awid = 1'b0;
    assign m_axi_arsize = 3'd2;
    assign m_axi_arburst = 2'b01;
    assign m_axi_rready = 1'b1;
    assign m_axi_awlen = 8'd0;
    assign m_axi_awsize = 3'd2;
    assign m_axi_awburst = 2'b01;
    assign m_axi_wstrb = 4'hF;
    assign m_axi_wlast = 1'b1;
    assign m_axi_bready = 1'b1;
    wire unused = &{1'b0, s_axil_wstrb, s_axil_awaddr[11:6], s_axil_awaddr[1:0], s_axil_araddr[11:6],
                    s_axil_araddr[1:0], m_axi_rlast, m_axi_rid, m_axi_bid};

    wire rbeat = m_axi_rvalid && m_axi_rready;
    always @(posedge clk) begin
        if (rst) begin
            s_axil_bvalid <= 1'b0;
            s_axil_rvalid <= 1'b0;
            s_axil_rdata <= 32'd0;
            in_addr <= 32'd0; w_addr <= 32'd0; len <= 32'd0; in_off <= 32'd0; w_off <= 32'd0;
            bias <= 32'd0; out_addr <= 32'd0; acc <= 32'd0; left <= 32'd0; in_ptr <= 32'd0; w_ptr <= 32'd0;
            done <= 1'b0; err <= 1'b0; store <= 1'b0;
            state <= S_IDLE; beat <= 5'd0; count <= 5'd0;
            m_axi_arvalid <= 1'b0; m_axi_awvalid <= 1'b0; m_axi_wvalid <= 1'b0;
            m_axi_araddr <= 32'd0; m_axi_arlen <= 8'd0; m_axi_awaddr <= 32'd0; m_axi_wdata <= 32'd0;
        end else begin
            if (do_write) s_axil_bvalid <= 1'b1;
            else if (s_axil_bready) s_axil_bvalid <= 1'b0;
            if (s_axil_arready) begin
                s_axil_rvalid <= 1'b1;
                s_axil_rdata <= rvalue;
            end else if (s_axil_rready) begin
                s_axil_rvalid <= 1'b0;
            end
            if (do_write && !busy) begin
                case (windex)
                    4'd0: in_addr <= {s_axil_wdata[31:2], 2'b00};
                    4'd1: w_addr <= {s_axil_wdata[31:2], 2'b00};
                    4'd2: len <= s_axil_wdata;
                    4'd3: in_off <= s_axil_wdata;
                    4'd4: w_off <= s_axil_wdata;
                    4'd5: bias <= s_axil_wdata;
                    4'd6: out_addr <= {s_axil_wdata[31:2], 2'b00};
                    4'd7: begin
                        if (s_axil_wdata[1]) done <= 1'b0;
                        if (s_axil_wdata[0]) begin
                            done <= 1'b0;
                            err <= 1'b0;
                            store <= s_axil_wdata[2];
                            acc <= bias;
                            left <= len;
                            in_ptr <= in_addr;
                            w_ptr <= w_addr;
                            state <= S_IN;
                        end
                    end
                    default: ;
                endcase
            end
            case (state)
                S_IN: begin
                    if (!m_axi_arvalid && count == 5'd0) begin
                        if (left == 32'd0) begin
                            state <= store ? S_STORE : S_IDLE;
                            done <= !store;
                        end else begin
                            m_axi_araddr <= in_ptr;
                            m_axi_arlen <= {3'd0, burst - 5'd1};
                            m_axi_arvalid <= 1'b1;
                            count <= burst;
                            beat <= 5'd0;
                        end
                    end
                    if (m_axi_arvalid && m_axi_arready) m_axi_arvalid <= 1'b0;
                    if (rbeat) begin
                        buffer[beat[3:0]] <= m_axi_rdata;
                        if (m_axi_rresp != 2'b00) err <= 1'b1;
                        beat <= beat + 5'd1;
                        if (beat + 5'd1 == count) begin
                            beat <= 5'd0;
                            m_axi_araddr <= w_ptr;
                            m_axi_arvalid <= 1'b1;
                            state <= S_W;
                        end
                    end
                end
                S_W: begin
                    if (m_axi_arvalid && m_axi_arready) m_axi_arvalid <= 1'b0;
                    if (rbeat) begin
                        acc <= acc + dot;
                        if (m_axi_rresp != 2'b00) err <= 1'b1;
                        left <= left > 32'd4 ? left - 32'd4 : 32'd0;
                        beat <= beat + 5'd1;
                        if (beat + 5'd1 == count) begin
                            in_ptr <= in_ptr + {25'd0, count, 2'b00};
                            w_ptr <= w_ptr + {25'd0, count, 2'b00};
                            count <= 5'd0;
                            state <= S_IN;
                        end
                    end
                end
                S_STORE: begin
                    m_axi_awaddr <= out_addr;
                    m_axi_wdata <= acc;
                    m_axi_awvalid <= 1'b1;
                    m_axi_wvalid <= 1'b1;
                    state <= S_RESP;
                end
                S_RESP: begin
                    if (m_axi_awvalid && m_axi_awready) m_axi_awvalid <= 1'b0;
                    if (m_axi_wvalid && m_axi_wready) m_axi_wvalid <= 1'b0;
                    if (m_axi_bvalid) begin
                        if (m_axi_bresp != 2'b00) err <= 1'b1;
                        done <= 1'b1;
                        state <= S_IDLE;
                    end
                end
                default: ;
            endcase
        end
    end
endmodule
