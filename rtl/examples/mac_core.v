// A multi-cycle multiply-accumulate unit: the example block of docs/bring-your-own-accelerator.md
// and the device under test of tests/test_rtl_peripheral.py. Verilog-2005.
//
// Registers (byte offsets; 32-bit words):
//   0x00 A       RW  operand
//   0x04 B       RW  operand
//   0x08 ACC     RW  accumulator (a write sets it)
//   0x0C CTRL    W   bit 0 START: ACC <= ACC + A*B, LATENCY cycles after the write's clock edge;
//                    bit 1 ACK: clear DONE (and so irq). Ignored while BUSY.
//   0x10 STATUS  R   bit 0 BUSY, bit 1 DONE
//   0x14 RESULT  R   ACC; a read while BUSY is held (not answered) until the unit is done, so a
//                    RESULT read right after START is a blocking coprocessor call
//   0x18 ID      R   0x4D414331 ("MAC1")
//   0x1C LATENCY RW  cycles a run takes (>= 1; reset value: the LATENCY parameter)
// irq = DONE (level): set when a run ends, cleared by ACK or the next START.
//
// The register interface is a generic request/ready handshake that the bus adapters
// (mac_axil.v, mac_apb.v, mac_wb.v) drive: an access with `req` takes effect at the rising edge
// where `ready` is high; `rdata` and `ready` are combinational from the request.
module mac_core #(
    parameter LATENCY = 4  // reset value of the LATENCY register (>= 1)
) (
    input  wire        clk,
    input  wire        rst,
    input  wire        req,
    input  wire        we,
    input  wire [3:0]  addr,  // word index within the window (byte offset bits 5:2)
    input  wire [31:0] wdata,
    output wire        ready,
    output reg  [31:0] rdata,
    output wire        irq
);
    reg [31:0] a, b, acc;
    reg        busy, done;
    reg [31:0] count, latency;

    wire [3:0] index = addr;
    // the only access that waits: a RESULT read while a run is in progress
    assign ready = !(busy && !we && index == 4'd5);
    assign irq = done;

    always @(*) begin
        case (index)
            4'd0: rdata = a;
            4'd1: rdata = b;
            4'd2: rdata = acc;
            4'd4: rdata = {30'd0, done, busy};
            4'd5: rdata = acc;
            4'd6: rdata = 32'h4D414331;
            4'd7: rdata = latency;
            default: rdata = 32'd0;
        endcase
    end

    always @(posedge clk) begin
        if (rst) begin
            a <= 32'd0;
            b <= 32'd0;
            acc <= 32'd0;
            busy <= 1'b0;
            done <= 1'b0;
            count <= 32'd0;
            latency <= LATENCY;
        end else begin
            if (busy) begin
                if (count == 32'd1) begin
                    busy <= 1'b0;
                    done <= 1'b1;
                    acc <= acc + a * b;
                end
                count <= count - 32'd1;
            end
            if (req && ready && we && !busy) begin
                case (index)
                    4'd0: a <= wdata;
                    4'd1: b <= wdata;
                    4'd2: acc <= wdata;
                    4'd3: begin
                        if (wdata[0]) begin
                            busy <= 1'b1;
                            done <= 1'b0;
                            count <= latency;
                        end else if (wdata[1]) begin
                            done <= 1'b0;
                        end
                    end
                    4'd7: latency <= (wdata == 32'd0) ? 32'd1 : wdata;
                    default: ;
                endcase
            end
        end
    end
endmodule
