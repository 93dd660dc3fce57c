// The C side of a Tandem.RtlPeripheral: a Verilator model of the user's top level driven as a
// bus master, built with it into one shared library that tandem loads with ctypes
// (sim/cosim/rtl_model.py). Per CPU access there is one call into this file, so no Python runs
// per clock cycle or per handshake.
//
// The build defines, from the top level's ports (sim/cosim/rtl_ports.py checks them first):
//   TANDEM_TOP, TANDEM_TOP_H       the Verilated class and its header
//   TANDEM_ROOT, TANDEM_ROOT_H     its root class (all the design's state) and header
//   TANDEM_ROOT_EVAL               the root's eval function (V<top>___024root___eval)
//   TANDEM_BUS_AXIL / _APB / _WB   the register bus (port prefix s_axil_ / s_apb_ / s_wb_)
//   TANDEM_HAS_IRQ                 the top has an `irq` output
//   TANDEM_RESET, TANDEM_RESET_ON  the reset port and its active level (absent: no reset port)
//   TANDEM_HAS_<PORT>              optional bus ports the top has (WSTRB, PSTRB, PSLVERR, SEL, ...)
//   TANDEM_MEM_WB                  a Wishbone master port m_wb_* (classic cycles; TANDEM_HAS_M_SEL,
//                                  TANDEM_HAS_M_ERR for its optional signals)
//   TANDEM_MEM_AHB                 an AHB-Lite master port m_ahb_* (shim_ahb.inc; TANDEM_HAS_M_HSIZE,
//                                  _HBURST, _HWDATA for its optional signals)
//   TANDEM_MEM_AXI                 an AXI4 master port m_axi_*: TANDEM_MEM_READ (its AR/R
//                                  channels) and/or TANDEM_MEM_WRITE (AW/W/B), TANDEM_HAS_M_<SIG>
//                                  for its optional signals (ARLEN, ARSIZE, ARBURST, RRESP, ...)
//   TANDEM_PROFILE                 time the model's evals and the calls into this file
//                                  (clock_gettime; tb_profile reads them; tandem bench cosim)
//
// The memory port is an AXI4 slave in this file over the board's own memories: the host buffers
// Unicorn maps (tb_map, once at load), read and written in place. Timing, per 32-bit beat: the
// beat's data is presented 1 + W edges after the address handshake or the previous beat's
// handshake, W being the wait states of the memory the beat touches (tb_set_wait follows the
// firmware's flash latency); the write response one edge after the last data beat. One burst at
// a time per direction (ARREADY/AWREADY low while one is in progress); reads and writes overlap.
// A beat outside the board's memories is answered with DECERR, a write to read-only memory or a
// burst breaking AXI4's rules (size wider than the bus, WRAP length or alignment, INCR across a
// 4 KiB boundary, FIXED longer than 16) with SLVERR, and the first such error is kept for the
// peripheral to report (tb_mem_error); the data of an error beat reads 0 and writes nothing.
// A Wishbone master port gets the same memory as a classic-cycle slave with registered ACK: a
// request (CYC and STB) sampled at an edge gets ACK (or ERR outside memory) W edges after that
// edge, so one access takes 2 + W edges to the edge that completes it.
//
// One cycle is: inputs set while clk is low, eval (combinational outputs settle), handshakes
// sampled, rising edge, eval. A handshake "at edge n" is one sampled just before edge n.
//
// Idle cycles (the bus idle, inputs constant) are skipped once the design is at a fixed point:
// every 64th idle cycle compares the whole state (the root object) before and after the edge;
// equal means no later idle edge changes anything (the model is a deterministic function of
// state and inputs), so the rest only advance the cycle count. A design with a free-running
// counter never reaches one and is clocked cycle by cycle.
#include <cstdint>
#include <cstdio>
#include <cstring>
#ifdef TANDEM_PROFILE
#include <ctime>
#endif

#include "verilated.h"
#include TANDEM_TOP_H
#if defined(TANDEM_MEM_AXI) || defined(TANDEM_MEM_WB) || defined(TANDEM_MEM_AHB)
#define TANDEM_MEM 1
#endif
#include TANDEM_ROOT_H

// Verilator's generated scheduler entry point (in V<top>___024root__*.cpp). The model's eval()
// is eval_step(): once, the initial and settle regions, then this function framed by a deleter
// sweep and the end-of-eval message flush, a mutex lock and unlock each. Neither has work in a
// model built single-threaded without dynamic objects (as build_model builds it), and at two
// evals per cycle the two mutexes were 5% of a co-simulated inference (perf, conv8x8), so after
// the first eval() the shim calls this directly.
void TANDEM_ROOT_EVAL(TANDEM_ROOT* vlSelf);

namespace {

#ifdef TANDEM_MEM
struct Region {
    uint64_t base, size;
    unsigned char* host;
    int writable;
    uint32_t wait;
};

// The slave's state (compared with the design's for the fixed-point rule: keep it plain data).
struct MemPort {
    // read burst: address of the current beat, beats left, size, burst type, wrap window
    int r_busy, r_valid;
    uint32_t r_addr, r_beat, r_beats, r_size, r_burst, r_lo, r_span, r_wait, r_data, r_resp, r_id, r_bad;
    int w_busy, w_ready, b_valid;
    uint32_t w_addr, w_beat, w_beats, w_size, w_burst, w_lo, w_span, w_wait, b_resp, w_id, w_bad;
    // handshakes sampled before the edge, with the values they carry
    int s_ar, s_r, s_aw, s_w, s_b;
    uint32_t s_addr, s_len, s_asize, s_aburst, s_id, s_waddr, s_wlen, s_wsize, s_wburst, s_wid, s_wdata, s_wstrb;
    // Wishbone: a request in progress, its answer, and what was sampled before the edge
    int wb_busy, wb_ack, wb_err, s_req, s_done, s_we;
    uint32_t wb_wait, wb_data, s_adr, s_dat, s_sel;
    // AHB-Lite: the data phase in progress (its address, size, wait states left, error state:
    // 0 none, 1 and 2 the two cycles of an ERROR response), the burst it belongs to, the outputs
    // and what was sampled before the edge
    int h_active, h_write, h_err, h_stall, h_resp, s_hready, s_htrans, s_hwrite;
    uint32_t h_addr, h_size, h_wait, h_rdata, hb_burst, hb_left, hb_next, hb_lo, hb_span;
    uint32_t s_haddr, s_hsize, s_hburst, s_hwdata;
};
constexpr int kMaxRegions = 32;
#endif

struct Tb {
    VerilatedContext ctx;
    TANDEM_TOP* top;
    uint64_t cycles = 0;
    uint64_t edges = 0;    // clock edges evaluated (cycles minus those skipped at fixed points)
    uint64_t skipped = 0;  // idle cycles skipped at fixed points
    uint64_t eval_ns = 0;  // TANDEM_PROFILE: in the model's eval, and in calls into this file
    uint64_t call_ns = 0;
    int quiet = 0;  // the last idle run ended at a fixed point
    bool initialised = false;  // the first eval() ran the initial and settle regions
    uint32_t out[4] = {0, 0, 0, 0};  // the last access's results (tb_access)
    unsigned char snap[sizeof(TANDEM_ROOT)];
    char state[512];
#ifdef TANDEM_MEM
    MemPort mem{};
    MemPort mem_snap{};
    Region regions[kMaxRegions]{};
    int n_regions = 0;
    char mem_error[320] = {0};
    uint64_t beats = 0;  // data beats served
#endif
    Tb() : top(new TANDEM_TOP(&ctx, "top")) {}
    ~Tb() {
        top->final();
        delete top;
    }
};

#ifdef TANDEM_PROFILE
inline uint64_t clock_ns() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
}

// the time from construction to destruction added to a counter
struct Timed {
    uint64_t& sum;
    uint64_t t0;
    explicit Timed(uint64_t& s) : sum(s), t0(clock_ns()) {}
    ~Timed() { sum += clock_ns() - t0; }
};
#define TANDEM_TIMED(tb, counter) Timed timed_##counter((tb)->counter)
#else
#define TANDEM_TIMED(tb, counter) (void)0
#endif

inline void eval(Tb* tb) {
    TANDEM_TIMED(tb, eval_ns);
    if (tb->initialised) {
        TANDEM_ROOT_EVAL(tb->top->rootp);
    } else {
        tb->top->eval();
        tb->initialised = true;
    }
}

// clk is low between edges; settle() evaluates the inputs set since the last edge
inline void settle(Tb* tb) { eval(tb); }

#ifdef TANDEM_MEM
void mem_sample(Tb* tb);
void mem_update(Tb* tb);
void mem_drive(Tb* tb);
#endif

// settle() must have run since the inputs last changed (the memory port samples its handshakes)
inline void edge(Tb* tb) {
#ifdef TANDEM_MEM
    mem_sample(tb);
#endif
    tb->top->clk = 1;
    eval(tb);
    tb->top->clk = 0;
    tb->cycles++;
    tb->edges++;
#ifdef TANDEM_MEM
    mem_update(tb);
    mem_drive(tb);
#endif
}

inline int irq_level(Tb* tb) {
#ifdef TANDEM_HAS_IRQ
    return tb->top->irq ? 1 : 0;
#else
    (void)tb;
    return 0;
#endif
}

void idle_bus(TANDEM_TOP* t) {
#if defined(TANDEM_BUS_AXIL)
    t->s_axil_awvalid = 0;
    t->s_axil_wvalid = 0;
    t->s_axil_arvalid = 0;
    t->s_axil_bready = 0;
    t->s_axil_rready = 0;
#elif defined(TANDEM_BUS_APB)
    t->s_apb_psel = 0;
    t->s_apb_penable = 0;
#elif defined(TANDEM_BUS_WB)
    t->s_wb_cyc = 0;
    t->s_wb_stb = 0;
#endif
}

#ifdef TANDEM_MEM
const Region* find_region(Tb* tb, uint32_t addr) {
    for (int i = 0; i < tb->n_regions; i++) {
        const Region& r = tb->regions[i];
        if (addr >= r.base && static_cast<uint64_t>(addr) + 4 <= r.base + r.size) return &r;
    }
    return nullptr;
}

void mem_fail(Tb* tb, const char* fmt, uint32_t a, uint32_t b) {
    if (tb->mem_error[0]) return;  // the first error is the one reported
    std::snprintf(tb->mem_error, sizeof tb->mem_error, fmt, a, b);
}

// AXI4's burst rules (ARM IHI 0022E A3.4.1): 0 if the burst is legal, else a SLVERR with a note
uint32_t check_burst(Tb* tb, const char* ch, uint32_t addr, uint32_t beats, uint32_t size, uint32_t burst) {
    char fmt[160];
    if (size > 2) {
        std::snprintf(fmt, sizeof fmt, "%s burst at 0x%%08x has %ssize %%u, wider than the 32-bit bus", ch, ch);
        mem_fail(tb, fmt, addr, size);
        return 2;
    }
    uint32_t bytes = 1u << size;
    if (burst == 3) {
        std::snprintf(fmt, sizeof fmt, "%s burst at 0x%%08x has the reserved %sburst %%u", ch, ch);
        mem_fail(tb, fmt, addr, burst);
        return 2;
    }
    if (burst == 2 && ((beats != 2 && beats != 4 && beats != 8 && beats != 16) || (addr & (bytes - 1)))) {
        std::snprintf(fmt, sizeof fmt, "%s WRAP burst at 0x%%08x of %%u beats (needs 2, 4, 8 or 16 and an "
                      "aligned address)", ch);
        mem_fail(tb, fmt, addr, beats);
        return 2;
    }
    if (burst == 0 && beats > 16) {
        std::snprintf(fmt, sizeof fmt, "%s FIXED burst at 0x%%08x of %%u beats (at most 16)", ch);
        mem_fail(tb, fmt, addr, beats);
        return 2;
    }
    if (burst == 1) {
        uint64_t last = static_cast<uint64_t>(addr & ~(bytes - 1)) + static_cast<uint64_t>(beats - 1) * bytes;
        if ((last >> 12) != (addr >> 12)) {
            std::snprintf(fmt, sizeof fmt, "%s INCR burst at 0x%%08x of %%u beats crosses a 4 KiB boundary", ch);
            mem_fail(tb, fmt, addr, beats);
            return 2;
        }
    }
    return 0;
}

uint32_t next_addr(uint32_t addr, uint32_t size, uint32_t burst, uint32_t lo, uint32_t span) {
    uint32_t bytes = 1u << size;
    if (burst == 0) return addr;
    uint32_t next = (addr & ~(bytes - 1)) + bytes;
    if (burst == 2 && next >= lo + span) next = lo;
    return next;
}

uint32_t wait_at(Tb* tb, uint32_t addr) {
    const Region* r = find_region(tb, addr & ~3u);
    return r ? r->wait : 0;
}

// the read beat at r_addr becomes valid: its data (or an error response) from the memory now
void read_beat(Tb* tb) {
    MemPort& m = tb->mem;
    m.r_valid = 1;
    m.r_data = 0;
    m.r_resp = m.r_bad;
    tb->beats++;
    if (m.r_bad) return;
    uint32_t word = m.r_addr & ~3u;
    const Region* r = find_region(tb, word);
    if (!r) {
        m.r_resp = 3;
        mem_fail(tb, "read at 0x%08x outside the board's memory (DECERR)%.0u", m.r_addr, 0);
        return;
    }
    std::memcpy(&m.r_data, r->host + (word - r->base), 4);
}

void write_beat(Tb* tb) {
    MemPort& m = tb->mem;
    tb->beats++;
    if (m.w_bad) return;
    uint32_t word = m.w_addr & ~3u;
    const Region* r = find_region(tb, word);
    if (!r) {
        m.b_resp = 3;
        m.w_bad = 3;
        mem_fail(tb, "write at 0x%08x outside the board's memory (DECERR)%.0u", m.w_addr, 0);
        return;
    }
    if (!r->writable) {
        m.b_resp = 2;
        m.w_bad = 2;
        mem_fail(tb, "write at 0x%08x to read-only memory (SLVERR)%.0u", m.w_addr, 0);
        return;
    }
    unsigned char* p = r->host + (word - r->base);
    for (int lane = 0; lane < 4; lane++)
        if (m.s_wstrb & (1u << lane)) p[lane] = static_cast<unsigned char>(m.s_wdata >> (8 * lane));
}

#ifdef TANDEM_MEM_AXI
#define M(sig) tb->top->m_axi_##sig

void mem_sample(Tb* tb) {
    MemPort& m = tb->mem;
#ifdef TANDEM_MEM_READ
    m.s_ar = M(arvalid) && M(arready);
    m.s_r = M(rvalid) && M(rready);
    if (m.s_ar) {
        m.s_addr = M(araddr);
#ifdef TANDEM_HAS_M_ARLEN
        m.s_len = M(arlen);
#else
        m.s_len = 0;
#endif
#ifdef TANDEM_HAS_M_ARSIZE
        m.s_asize = M(arsize);
#else
        m.s_asize = 2;
#endif
#ifdef TANDEM_HAS_M_ARBURST
        m.s_aburst = M(arburst);
#else
        m.s_aburst = 1;
#endif
#ifdef TANDEM_HAS_M_ARID
        m.s_id = M(arid);
#endif
    }
#endif
#ifdef TANDEM_MEM_WRITE
    m.s_aw = M(awvalid) && M(awready);
    m.s_w = M(wvalid) && M(wready);
    m.s_b = M(bvalid) && M(bready);
    if (m.s_aw) {
        m.s_waddr = M(awaddr);
#ifdef TANDEM_HAS_M_AWLEN
        m.s_wlen = M(awlen);
#else
        m.s_wlen = 0;
#endif
#ifdef TANDEM_HAS_M_AWSIZE
        m.s_wsize = M(awsize);
#else
        m.s_wsize = 2;
#endif
#ifdef TANDEM_HAS_M_AWBURST
        m.s_wburst = M(awburst);
#else
        m.s_wburst = 1;
#endif
#ifdef TANDEM_HAS_M_AWID
        m.s_wid = M(awid);
#endif
    }
    if (m.s_w) {
        m.s_wdata = M(wdata);
#ifdef TANDEM_HAS_M_WSTRB
        m.s_wstrb = M(wstrb);
#else
        m.s_wstrb = 0xF;
#endif
    }
#endif
}

void mem_update(Tb* tb) {
    MemPort& m = tb->mem;
    if (m.s_r) {
        m.r_valid = 0;
        if (++m.r_beat == m.r_beats) {
            m.r_busy = 0;
        } else {
            m.r_addr = next_addr(m.r_addr, m.r_size, m.r_burst, m.r_lo, m.r_span);
            m.r_wait = wait_at(tb, m.r_addr);
        }
    }
    if (m.s_ar) {
        m.r_busy = 1;
        m.r_valid = 0;
        m.r_addr = m.s_addr;
        m.r_beat = 0;
        m.r_beats = m.s_len + 1;
        m.r_size = m.s_asize;
        m.r_burst = m.s_aburst;
        m.r_id = m.s_id;
        m.r_span = m.r_beats << (m.r_size & 3);
        m.r_lo = m.r_span ? m.s_addr / m.r_span * m.r_span : m.s_addr;
        m.r_bad = check_burst(tb, "AR", m.s_addr, m.r_beats, m.r_size, m.r_burst);
        m.r_wait = wait_at(tb, m.r_addr);
    }
    if (m.r_busy && !m.r_valid) {
        if (m.r_wait == 0) read_beat(tb);
        else m.r_wait--;
    }
    if (m.s_b) m.b_valid = 0;
    if (m.s_w) {
        write_beat(tb);
        m.w_ready = 0;
        if (++m.w_beat == m.w_beats) {
            m.w_busy = 0;
            m.b_valid = 1;
        } else {
            m.w_addr = next_addr(m.w_addr, m.w_size, m.w_burst, m.w_lo, m.w_span);
            m.w_wait = wait_at(tb, m.w_addr);
        }
    }
    if (m.s_aw) {
        m.w_busy = 1;
        m.w_ready = 0;
        m.w_addr = m.s_waddr;
        m.w_beat = 0;
        m.w_beats = m.s_wlen + 1;
        m.w_size = m.s_wsize;
        m.w_burst = m.s_wburst;
        m.w_id = m.s_wid;
        m.w_span = m.w_beats << (m.w_size & 3);
        m.w_lo = m.w_span ? m.s_waddr / m.w_span * m.w_span : m.s_waddr;
        m.w_bad = check_burst(tb, "AW", m.s_waddr, m.w_beats, m.w_size, m.w_burst);
        m.b_resp = m.w_bad;
        m.w_wait = wait_at(tb, m.w_addr);
    }
    if (m.w_busy && !m.w_ready) {
        if (m.w_wait == 0) m.w_ready = 1;
        else m.w_wait--;
    }
    m.s_ar = m.s_r = m.s_aw = m.s_w = m.s_b = 0;
}

void mem_drive(Tb* tb) {
    MemPort& m = tb->mem;
    (void)m;
#ifdef TANDEM_MEM_READ
    M(arready) = !m.r_busy;
    M(rvalid) = m.r_valid;
    M(rdata) = m.r_data;
#ifdef TANDEM_HAS_M_RRESP
    M(rresp) = m.r_resp;
#endif
#ifdef TANDEM_HAS_M_RLAST
    M(rlast) = m.r_busy && m.r_beat + 1 == m.r_beats;
#endif
#ifdef TANDEM_HAS_M_RID
    M(rid) = m.r_id;
#endif
#endif
#ifdef TANDEM_MEM_WRITE
    M(awready) = !m.w_busy && !m.b_valid;
    M(wready) = m.w_ready;
    M(bvalid) = m.b_valid;
#ifdef TANDEM_HAS_M_BRESP
    M(bresp) = m.b_resp;
#endif
#ifdef TANDEM_HAS_M_BID
    M(bid) = m.w_id;
#endif
#endif
}
#undef M
#elif defined(TANDEM_MEM_AHB)
#include "shim_ahb.inc"
#else  // TANDEM_MEM_WB
#define M(sig) tb->top->m_wb_##sig

void mem_sample(Tb* tb) {
    MemPort& m = tb->mem;
    m.s_req = M(cyc) && M(stb);
    m.s_done = m.s_req && (m.wb_ack || m.wb_err);
    if (m.s_req && !m.wb_busy) {
        m.s_adr = M(adr);
        m.s_we = M(we);
        m.s_dat = M(datwr);
#ifdef TANDEM_HAS_M_SEL
        m.s_sel = M(sel);
#else
        m.s_sel = 0xF;
#endif
    }
}

void mem_update(Tb* tb) {
    MemPort& m = tb->mem;
    if (m.s_done) {
        m.wb_busy = m.wb_ack = m.wb_err = 0;
    } else if (m.s_req && !m.wb_busy) {
        m.wb_busy = 1;
        m.wb_wait = wait_at(tb, m.s_adr);
    }
    if (m.wb_busy && !m.wb_ack && !m.wb_err) {
        if (m.wb_wait == 0) {
            uint32_t word = m.s_adr & ~3u;
            const Region* r = find_region(tb, word);
            tb->beats++;
            m.wb_data = 0;
            if (!r) {
                m.wb_err = 1;
                mem_fail(tb, m.s_we ? "write at 0x%08x outside the board's memory (ERR)%.0u"
                                    : "read at 0x%08x outside the board's memory (ERR)%.0u", m.s_adr, 0);
            } else if (m.s_we && !r->writable) {
                m.wb_err = 1;
                mem_fail(tb, "write at 0x%08x to read-only memory (ERR)%.0u", m.s_adr, 0);
            } else if (m.s_we) {
                unsigned char* p = r->host + (word - r->base);
                for (int lane = 0; lane < 4; lane++)
                    if (m.s_sel & (1u << lane)) p[lane] = static_cast<unsigned char>(m.s_dat >> (8 * lane));
                m.wb_ack = 1;
            } else {
                std::memcpy(&m.wb_data, r->host + (word - r->base), 4);
                m.wb_ack = 1;
            }
#ifndef TANDEM_HAS_M_ERR
            if (m.wb_err) { m.wb_err = 0; m.wb_ack = 1; }  // no ERR port: ACK (the run stops anyway)
#endif
        } else {
            m.wb_wait--;
        }
    }
    m.s_req = m.s_done = 0;
}

void mem_drive(Tb* tb) {
    MemPort& m = tb->mem;
    M(ack) = m.wb_ack;
    M(datrd) = m.wb_data;
#ifdef TANDEM_HAS_M_ERR
    M(err) = m.wb_err;
#endif
}
#undef M
#endif  // TANDEM_MEM_AXI / TANDEM_MEM_AHB / TANDEM_MEM_WB
#endif  // TANDEM_MEM

// tb_run's loop (tb_access catches up with it too)
uint64_t run_idle(Tb* tb, uint64_t n, int stop_on_irq) {
    uint64_t i = 0;
    tb->quiet = 0;
    if (stop_on_irq && irq_level(tb)) return 0;
    const void* root = tb->top->rootp;
    while (i < n) {
        bool probe = (i & 63) == 63;
        if (probe) std::memcpy(tb->snap, root, sizeof(TANDEM_ROOT));
#ifdef TANDEM_MEM
        if (probe) tb->mem_snap = tb->mem;
#endif
        settle(tb);
        edge(tb);
        i++;
        if (stop_on_irq && irq_level(tb)) break;
        if (probe && std::memcmp(tb->snap, root, sizeof(TANDEM_ROOT)) == 0
#ifdef TANDEM_MEM
            && std::memcmp(&tb->mem_snap, &tb->mem, sizeof(MemPort)) == 0
#endif
        ) {
            tb->quiet = 1;
            tb->cycles += n - i;
            tb->skipped += n - i;
            i = n;
        }
    }
    return i;
}

}  // namespace

extern "C" {
#pragma GCC visibility push(default)  // the library's API (built -fvisibility=hidden)

void* tb_new(void) {
    Tb* tb = new Tb();
    TANDEM_TIMED(tb, call_ns);  // every eval inside a timed call: eval_ns <= call_ns
    tb->top->clk = 0;
    idle_bus(tb->top);
#ifdef TANDEM_MEM
    mem_drive(tb);
#endif
    settle(tb);
    return tb;
}

// The board's memories the memory port serves: host buffer `host` holds [base, base + size).
// Returns the region's index (for tb_set_wait), or -1 when the table is full.
int tb_map(void* h, uint64_t base, uint64_t size, void* host, int writable, uint32_t wait) {
#ifdef TANDEM_MEM
    Tb* tb = static_cast<Tb*>(h);
    if (tb->n_regions >= kMaxRegions) return -1;
    tb->regions[tb->n_regions] = Region{base, size, static_cast<unsigned char*>(host), writable, wait};
    return tb->n_regions++;
#else
    (void)h, (void)base, (void)size, (void)host, (void)writable, (void)wait;
    return -1;
#endif
}

// A region's wait states changed (the firmware set the flash latency)
void tb_set_wait(void* h, int index, uint32_t wait) {
#ifdef TANDEM_MEM
    Tb* tb = static_cast<Tb*>(h);
    if (index >= 0 && index < tb->n_regions) tb->regions[index].wait = wait;
#else
    (void)h, (void)index, (void)wait;
#endif
}

// The memory port's first bus error since the last call ("" if none); clears it.
const char* tb_mem_error(void* h) {
#ifdef TANDEM_MEM
    Tb* tb = static_cast<Tb*>(h);
    std::memcpy(tb->state, tb->mem_error, sizeof tb->mem_error);
    tb->mem_error[0] = 0;
    return tb->state;
#else
    (void)h;
    return "";
#endif
}

// Data beats the memory port has served
uint64_t tb_beats(void* h) {
#ifdef TANDEM_MEM
    return static_cast<Tb*>(h)->beats;
#else
    (void)h;
    return 0;
#endif
}

void tb_free(void* h) { delete static_cast<Tb*>(h); }

// Hold reset for `n` cycles (the bus idle), then release it. The cycle count restarts at 0.
void tb_reset(void* h, uint32_t n) {
    Tb* tb = static_cast<Tb*>(h);
    TANDEM_TIMED(tb, call_ns);
#ifdef TANDEM_RESET
    tb->top->TANDEM_RESET = TANDEM_RESET_ON;
    for (uint32_t i = 0; i < n; i++) {
        settle(tb);
        edge(tb);
    }
    tb->top->TANDEM_RESET = !TANDEM_RESET_ON;
#else
    (void)n;
#endif
    settle(tb);
    tb->cycles = 0;
}

uint64_t tb_cycles(void* h) { return static_cast<Tb*>(h)->cycles; }

int tb_irq(void* h) {
    Tb* tb = static_cast<Tb*>(h);
    return irq_level(tb);
}

// Run up to `n` cycles with the bus idle; with `stop_on_irq`, stop after the edge at which irq
// goes high (at once if it is high already). Returns the cycles run.
uint64_t tb_run(void* h, uint64_t n, int stop_on_irq) {
    Tb* tb = static_cast<Tb*>(h);
    TANDEM_TIMED(tb, call_ns);
    return run_idle(tb, n, stop_on_irq);
}

// Whether the last idle run reached a fixed point (nothing changes until the next access).
int tb_quiet(void* h) { return static_cast<Tb*>(h)->quiet; }

// One register access, after `catchup` idle cycles (the RTL catching up with the CPU): returns
// the clock edges from presenting the request (before the first edge) to the edge that
// completes it, or -1 when `timeout` edges pass first (the request is then left on the bus, as
// a CPU stuck on a bus would leave it; tb_state describes it). out[0] is the read data, out[1]
// the slave's error response (AXI RESP, APB PSLVERR, Wishbone ERR; 0 if none), out[2] irq after,
// out[3] whether the memory port has a bus error to report (tb_mem_error).
static int64_t transact(Tb* tb, uint64_t catchup, uint32_t addr, int write, uint32_t wdata, uint32_t strb,
                        uint32_t* out, uint64_t timeout) {
    TANDEM_TOP* t = tb->top;
    uint64_t n = 0;
    uint32_t* rdata = &out[0];
    uint32_t* resp = &out[1];
    *resp = 0;
    out[3] = 0;
    run_idle(tb, catchup, 0);
    (void)strb;
#if defined(TANDEM_BUS_AXIL)
    bool addr_done = false, data_done = !write;
    if (write) {
        t->s_axil_awaddr = addr;
        t->s_axil_awvalid = 1;
        t->s_axil_wdata = wdata;
#ifdef TANDEM_HAS_WSTRB
        t->s_axil_wstrb = strb;
#endif
        t->s_axil_wvalid = 1;
        t->s_axil_bready = 1;
    } else {
        t->s_axil_araddr = addr;
        t->s_axil_arvalid = 1;
        t->s_axil_rready = 1;
    }
    for (;;) {
        if (n >= timeout) return -1;
        settle(tb);
        bool aw = write && t->s_axil_awvalid && t->s_axil_awready;
        bool w = write && t->s_axil_wvalid && t->s_axil_wready;
        bool ar = !write && t->s_axil_arvalid && t->s_axil_arready;
        bool b = write && addr_done && data_done && t->s_axil_bvalid;
        bool r = !write && addr_done && t->s_axil_rvalid;
        if (r) {
            *rdata = t->s_axil_rdata;
#ifdef TANDEM_HAS_RRESP
            *resp = t->s_axil_rresp;
#endif
        }
#ifdef TANDEM_HAS_BRESP
        if (b) *resp = t->s_axil_bresp;
#endif
        edge(tb);
        n++;
        if (aw) { t->s_axil_awvalid = 0; addr_done = true; }
        if (w) { t->s_axil_wvalid = 0; data_done = true; }
        if (ar) { t->s_axil_arvalid = 0; addr_done = true; }
        if (b || r) break;
    }
    t->s_axil_bready = 0;
    t->s_axil_rready = 0;
#elif defined(TANDEM_BUS_APB)
    t->s_apb_paddr = addr;
    t->s_apb_pwrite = write ? 1 : 0;
    t->s_apb_pwdata = wdata;
#ifdef TANDEM_HAS_PSTRB
    t->s_apb_pstrb = write ? strb : 0;
#endif
    t->s_apb_psel = 1;
    t->s_apb_penable = 0;
    settle(tb);
    edge(tb);  // setup phase
    n++;
    t->s_apb_penable = 1;
    for (;;) {
        if (n >= timeout) return -1;
        settle(tb);
        bool done = t->s_apb_pready;
        if (done) {
            *rdata = t->s_apb_prdata;
#ifdef TANDEM_HAS_PSLVERR
            *resp = t->s_apb_pslverr;
#endif
        }
        edge(tb);
        n++;
        if (done) break;
    }
    t->s_apb_psel = 0;
    t->s_apb_penable = 0;
#elif defined(TANDEM_BUS_WB)
    t->s_wb_adr = addr;
    t->s_wb_we = write ? 1 : 0;
    t->s_wb_datwr = wdata;
#ifdef TANDEM_HAS_SEL
    t->s_wb_sel = strb;
#endif
    t->s_wb_cyc = 1;
    t->s_wb_stb = 1;
    for (;;) {
        if (n >= timeout) return -1;
        settle(tb);
        bool ack = t->s_wb_ack;
#ifdef TANDEM_HAS_ERR
        bool err = t->s_wb_err;
#else
        bool err = false;
#endif
        if (ack) *rdata = t->s_wb_datrd;
        if (err) *resp = 1;
        edge(tb);
        n++;
        if (ack || err) break;
    }
    t->s_wb_cyc = 0;
    t->s_wb_stb = 0;
#endif
    settle(tb);
    out[2] = static_cast<uint32_t>(irq_level(tb));
#ifdef TANDEM_MEM
    out[3] = tb->mem_error[0] != 0;
#else
    out[3] = 0;
#endif
    return static_cast<int64_t>(n);
}

// transact() with its arguments and results in one array (a ctypes call converts each argument
// it is passed, and that conversion was most of a call's cost): in io[0] catchup, io[1] addr,
// io[2] write, io[3] wdata, io[4] strb, io[5] timeout; out io[6..9] transact's out[0..3] (as the
// last access left them when this one timed out) and io[10] the data beats served so far.
int64_t tb_access(void* h, uint64_t* io) {
    Tb* tb = static_cast<Tb*>(h);
    TANDEM_TIMED(tb, call_ns);
    uint32_t* out = tb->out;
    int64_t n = transact(tb, io[0], static_cast<uint32_t>(io[1]), static_cast<int>(io[2]),
                         static_cast<uint32_t>(io[3]), static_cast<uint32_t>(io[4]), out, io[5]);
    for (int i = 0; i < 4; i++) io[6 + i] = out[i];
#ifdef TANDEM_MEM
    io[10] = tb->beats;
#else
    io[10] = 0;
#endif
    return n;
}

// out[0] clock edges evaluated, out[1] idle cycles skipped at fixed points, and with
// TANDEM_PROFILE out[2] the nanoseconds in the model's eval, out[3] in calls of tb_run and
// tb_access (0 without it).
void tb_profile(void* h, uint64_t* out) {
    Tb* tb = static_cast<Tb*>(h);
    out[0] = tb->edges;
    out[1] = tb->skipped;
    out[2] = tb->eval_ns;
    out[3] = tb->call_ns;
}

// The bus signals now, as "name=value ..." text (for the hang report).
const char* tb_state(void* h) {
    Tb* tb = static_cast<Tb*>(h);
    TANDEM_TIMED(tb, call_ns);
    TANDEM_TOP* t = tb->top;
    settle(tb);
#if defined(TANDEM_BUS_AXIL)
    std::snprintf(tb->state, sizeof tb->state,
                  "awvalid=%d awready=%d wvalid=%d wready=%d bvalid=%d bready=%d arvalid=%d arready=%d "
                  "rvalid=%d rready=%d irq=%d",
                  t->s_axil_awvalid, t->s_axil_awready, t->s_axil_wvalid, t->s_axil_wready,
                  t->s_axil_bvalid, t->s_axil_bready, t->s_axil_arvalid, t->s_axil_arready,
                  t->s_axil_rvalid, t->s_axil_rready, irq_level(tb));
#elif defined(TANDEM_BUS_APB)
    std::snprintf(tb->state, sizeof tb->state, "psel=%d penable=%d pwrite=%d pready=%d irq=%d",
                  t->s_apb_psel, t->s_apb_penable, t->s_apb_pwrite, t->s_apb_pready, irq_level(tb));
#elif defined(TANDEM_BUS_WB)
    std::snprintf(tb->state, sizeof tb->state, "cyc=%d stb=%d we=%d ack=%d irq=%d",
                  t->s_wb_cyc, t->s_wb_stb, t->s_wb_we, t->s_wb_ack, irq_level(tb));
#endif
    return tb->state;
}

#pragma GCC visibility pop
}  // extern "C"

#include "shim_fast.inc"
