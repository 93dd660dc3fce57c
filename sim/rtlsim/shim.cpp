// The C side of a Tandem.RtlPeripheral: a Verilator model of the user's top level driven as a
// bus master, built with it into one shared library that tandem loads with ctypes
// (sim/cosim/rtl_model.py). Per CPU access there is one call into this file, so no Python runs
// per clock cycle or per handshake.
//
// The build defines, from the top level's ports (sim/cosim/rtl_ports.py checks them first):
//   TANDEM_TOP, TANDEM_TOP_H       the Verilated class and its header
//   TANDEM_ROOT, TANDEM_ROOT_H     its root class (all the design's state) and header
//   TANDEM_BUS_AXIL / _APB / _WB   the register bus (port prefix s_axil_ / s_apb_ / s_wb_)
//   TANDEM_HAS_IRQ                 the top has an `irq` output
//   TANDEM_RESET, TANDEM_RESET_ON  the reset port and its active level (absent: no reset port)
//   TANDEM_HAS_<PORT>              optional bus ports the top has (WSTRB, PSTRB, PSLVERR, SEL, ...)
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

#include "verilated.h"
#include TANDEM_TOP_H
#include TANDEM_ROOT_H

namespace {

struct Tb {
    VerilatedContext ctx;
    TANDEM_TOP* top;
    uint64_t cycles = 0;
    int quiet = 0;  // the last idle run ended at a fixed point
    unsigned char snap[sizeof(TANDEM_ROOT)];
    char state[512];
    Tb() : top(new TANDEM_TOP(&ctx, "top")) {}
    ~Tb() {
        top->final();
        delete top;
    }
};

// clk is low between edges; settle() evaluates the inputs set since the last edge
inline void settle(Tb* tb) { tb->top->eval(); }

inline void edge(Tb* tb) {
    tb->top->clk = 1;
    tb->top->eval();
    tb->top->clk = 0;
    tb->cycles++;
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

}  // namespace

extern "C" {

void* tb_new(void) {
    Tb* tb = new Tb();
    tb->top->clk = 0;
    idle_bus(tb->top);
    settle(tb);
    return tb;
}

void tb_free(void* h) { delete static_cast<Tb*>(h); }

// Hold reset for `n` cycles (the bus idle), then release it. The cycle count restarts at 0.
void tb_reset(void* h, uint32_t n) {
    Tb* tb = static_cast<Tb*>(h);
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
    uint64_t i = 0;
    tb->quiet = 0;
    if (stop_on_irq && irq_level(tb)) return 0;
    const void* root = tb->top->rootp;
    while (i < n) {
        bool probe = (i & 63) == 63;
        if (probe) std::memcpy(tb->snap, root, sizeof(TANDEM_ROOT));
        settle(tb);
        edge(tb);
        i++;
        if (stop_on_irq && irq_level(tb)) break;
        if (probe && std::memcmp(tb->snap, root, sizeof(TANDEM_ROOT)) == 0) {
            tb->quiet = 1;
            tb->cycles += n - i;
            i = n;
        }
    }
    return i;
}

// Whether the last idle run reached a fixed point (nothing changes until the next access).
int tb_quiet(void* h) { return static_cast<Tb*>(h)->quiet; }

// One register access, after `catchup` idle cycles (the RTL catching up with the CPU): returns
// the clock edges from presenting the request (before the first edge) to the edge that
// completes it, or -1 when `timeout` edges pass first (the request is then left on the bus, as
// a CPU stuck on a bus would leave it; tb_state describes it). out[0] is the read data, out[1]
// the slave's error response (AXI RESP, APB PSLVERR, Wishbone ERR; 0 if none), out[2] irq after.
int64_t tb_access(void* h, uint64_t catchup, uint32_t addr, int write, uint32_t wdata, uint32_t strb,
                  uint32_t* out, uint64_t timeout) {
    Tb* tb = static_cast<Tb*>(h);
    TANDEM_TOP* t = tb->top;
    uint64_t n = 0;
    uint32_t* rdata = &out[0];
    uint32_t* resp = &out[1];
    *resp = 0;
    tb_run(h, catchup, 0);
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
    return static_cast<int64_t>(n);
}

// The bus signals now, as "name=value ..." text (for the hang report).
const char* tb_state(void* h) {
    Tb* tb = static_cast<Tb*>(h);
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

}  // extern "C"
