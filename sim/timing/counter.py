"""The cycle counter: charges each executed basic block its cost from the core's timing model.

:class:`CycleCounter` does the per-block work in a C ``UC_HOOK_BLOCK`` callback
(sim/timing/blockhook.c). A new block is decoded and costed in C too (capstone's C API, the
rules of :class:`CoreTiming` ported: tests/test_native_decode.py); Python is called back only
for a block the C decoder declines, for one that holds what the board's guards check (then
with its cost filled in, so that only the guards run), and for every new block while
profiling (its function id). The tests check the counter against an independent pure-Python
implementation of the same rules (tests/timing_oracle.py). ``TANDEM_NATIVE_DECODE=off`` in
the environment turns the C decoder off (every new block decoded in Python, as before).

Accounting rules:

* On entering a block, first resolve the previous block's final branch: if the entered address
  is not the previous block's fall-through address the branch was taken, add its
  ``taken_extra``.
* Then, if a deadline is set and ``cycles >= deadline``, stop emulation *before* the block: it
  is not charged now, but when emulation resumes there.
* Otherwise charge the block's ``cost`` and its instruction count.
"""
from __future__ import annotations

import ctypes
import os
import weakref
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tandem.errors import SimulationError
from tandem.timing import dataloads, native
from tandem.timing.blocks import _GUARD_ARCH, BlockCache, _classes, _core_values, fill_info, native_cost
from tandem.timing.cortex_m import CoreTiming
from tandem.timing.costs import BlockCost, CallTree
from tandem.timing.divide import DivSite

if TYPE_CHECKING:
    import unicorn

__all__ = ["RING", "BlockCache", "BlockCost", "CallTree", "CycleCounter"]

RING = 16
_NO_DEADLINE = (1 << 64) - 1


class CycleCounter:
    """Counts cycles with a native block hook installed on ``uc``."""

    def __init__(
        self, uc: unicorn.Uc, timing: CoreTiming, cache_dir: Path, cc: str = "cc",
        host_windows: Sequence[tuple[int, int, int, bool]] = (),
    ) -> None:
        """``host_windows`` are the memories' host buffers (``CortexM.host_windows``: base, size,
        host address, writable); data loads of a timed memory are served from its buffer (else
        read through ``uc_mem_read``)."""
        self._native = native.load(cache_dir, cc)
        lib = self._native.lib
        self._lib = lib
        self._uc = uc
        self._blocks = BlockCache(uc, timing)
        self._error: BaseException | None = None
        self._events_keep: Any = None  # the last block's events and checks, until C has copied them
        self._func_of: Callable[[int], int] | None = None  # set while profiling
        self_ref = weakref.ref(self)

        def on_miss(addr: int, size: int, out: Any) -> int:
            me = self_ref()
            if me is None:
                return 1
            try:
                info = out.contents
                pre = native_cost(addr, size, info) if info.native else None
                bc = me._blocks.decode(addr, size, pre)
                if me._div_sites:
                    me._sync_divides()
                me._events_keep = fill_info(info, bc, me._func_of(addr) if me._func_of is not None else 0)
                return 0
            except BaseException as exc:  # e.g. KeyboardInterrupt: ctypes would swallow it
                me._error = exc
                return 1

        self._miss = native.MISS_CFUNC(on_miss)
        uclib = native.unicorn_lib()
        stop_ptr = ctypes.cast(uclib.uc_emu_stop, ctypes.c_void_p).value
        state = lib.tm_new(self._miss, stop_ptr)
        if not state:
            raise MemoryError("tm_new failed")
        self._state = ctypes.c_void_p(state)
        layout = (ctypes.c_uint64 * 4)()
        lib.tm_layout(layout)
        # the hot fields, read and written in place: MMIO handlers ask for the clock on every
        # access, and a bound view's read costs about 40 ns where a ctypes call costs 230-370
        self._cycles_v = ctypes.c_uint64.from_address(state + layout[0])
        self._insns_v = ctypes.c_uint64.from_address(state + layout[1])
        self._cur_v = ctypes.c_size_t.from_address(state + layout[2])
        self._key_offset = int(layout[3])
        from unicorn import arm_const

        lib.tm_set_sp_reader(self._state, ctypes.cast(uclib.uc_reg_read, ctypes.c_void_p),
                             arm_const.UC_ARM_REG_SP)
        self._uclib = uclib
        for idx, (slots, line_bytes) in enumerate(timing.caches):
            if lib.tm_set_cache(self._state, idx, slots, line_bytes.bit_length() - 1) != 0:
                lib.tm_free(self._state)
                raise SimulationError(
                    f"native counter cannot model cache {idx} ({slots} lines of {line_bytes} "
                    "bytes): at most 4 power-of-two caches"
                )
        hook_ptr = ctypes.cast(lib.tm_block_hook, ctypes.c_void_p)
        handle = ctypes.c_size_t()
        from unicorn import UC_HOOK_BLOCK

        err = uclib.uc_hook_add(
            uc._uch, ctypes.byref(handle), UC_HOOK_BLOCK, hook_ptr, self._state, 1, 0
        )
        if err != 0:
            lib.tm_free(self._state)
            raise SimulationError(f"uc_hook_add(UC_HOOK_BLOCK) failed with Unicorn error {err}")
        self._hook = handle.value
        hooks = [self._hook]
        self._hooks = hooks  # shared with the finalizer: swapping the block hook updates it
        self._mirrors = dataloads.DataMirrors()
        self._host_windows = host_windows
        try:
            dataloads.install(lib, self._state, uc, uclib, timing, host_windows, self._mirrors, hooks)
        except SimulationError:
            self._abandon(uclib, hooks)
            raise
        self._decoder = self._native_decoder(timing, uclib)
        self._div_sites: dict[int, tuple[Any, int]] = {}  # address -> (DivSiteC, hook handle)
        self._div_keep: Any = None
        self._div_conditional = 0  # len(conditional_divides) when the static costs were last set
        # Deletes the hooks and frees the C state when the counter is closed or collected.
        # Holds the callback alive as long as the hook exists; refers to uc only weakly.
        self._finalizer = weakref.finalize(
            self, _release, weakref.ref(uc), uclib, lib, hooks, self._state, self._miss, self._mirrors
        )

    def mirror_offsets(self, begin: int, end: int, write: bool = False) -> list[int]:
        """Where loads (stores) of ``[begin, end]`` reach a mirror (``DataMirrors.offsets``)."""
        return self._mirrors.offsets(begin, end, write)

    def guard(self, guards: Sequence[tuple[int, int, bool]], on_hit: Callable[[int, int, bool, int], None]) -> bool:
        """The memory checker's guards in C (``dataloads.guard``; ``[]`` removes them)."""
        return dataloads.guard(self._lib, self._state, self._uc, self._uclib, self._host_windows, self._mirrors,
                               self._hooks, guards, on_hit)

    def _native_decoder(self, timing: CoreTiming, uclib: ctypes.CDLL) -> bool:
        """Set up the C decoder (blockhook.c tm_decode_block); False if it stays off."""
        plain = self._blocks.plain
        if plain is None or os.environ.get("TANDEM_NATIVE_DECODE", "").lower() in ("off", "0", "no"):
            return False
        import capstone

        cs, lib, st = capstone._cs, self._lib, self._state
        fns = [ctypes.cast(getattr(cs, n), ctypes.c_void_p) for n in
               ("cs_open", "cs_option", "cs_malloc", "cs_disasm", "cs_regs_access", "cs_free", "cs_close")]
        if lib.tm_dec_new(st, *fns, ctypes.cast(uclib.uc_mem_read, ctypes.c_void_p)) != 0:
            return False
        vals, cls = _core_values(plain), _classes()
        if lib.tm_dec_core(st, vals, len(vals), cls, len(cls)) != 0:
            return False
        self._keep_decoder = (vals, cls)
        mask, ccr, ccr_bits = 0, None, 0
        t: Any = timing
        arch = plain.table.arch
        while t is not plain:
            name = type(t).__name__
            if name == "IsaGuard":
                mask |= _GUARD_ARCH.get(arch, native.G_FP)
            elif name == "SpinGuard":
                mask |= native.G_BSELF
            elif name == "TrapGuard" and arch != "v6m":
                mask |= native.G_ALWAYS
                ccr_bits = native.G_DIV | native.G_UNALIGN
                state = vars(t).get("_state")  # traps.py's C state: SCB->CCR as the guard knows it
                field = getattr(type(state), "ccr", None)
                if isinstance(state, ctypes.Structure) and field is not None:
                    ccr = ctypes.c_void_p(ctypes.addressof(state) + field.offset)
            t = vars(t)["_timing"]
        lib.tm_dec_guards(st, mask, ccr, ccr_bits)
        self._push_regions()
        lib.tm_dec_mode(st, 1, 0)
        return True

    def _push_regions(self) -> None:
        """The memory map (it changes when the firmware sets the flash timing) to the C decoder."""
        plain = self._blocks.plain
        if plain is None:
            return
        regions = plain.memory.regions
        arr = (native.Region * max(1, len(regions)))()
        for k, m in enumerate(regions):
            arr[k].base, arr[k].end, arr[k].wait_states = m.base, m.end, m.wait_states
            arr[k].art = 1 if m.accelerator == "stm32-art" else 0
            arr[k].line_bytes = m.line_bytes
            arr[k].icache = plain.instruction_cache(m.name)
        if self._lib.tm_dec_regions(self._state, arr, len(regions)) != 0:
            self._lib.tm_dec_mode(self._state, 0, 0)  # more regions than it holds: Python decodes

    @property
    def native_blocks(self) -> int:
        """New blocks the C decoder costed without calling Python."""
        return int(self._lib.tm_dec_native(self._state))

    @property
    def guarded_blocks(self) -> int:
        """New blocks the C decoder costed whose guard checks ran in Python."""
        return int(self._lib.tm_dec_guarded(self._state))

    @property
    def table_size(self) -> int:
        """Blocks the native table holds."""
        return int(self._lib.tm_table_count(self._state))

    def time_divides(self, sites: Sequence[DivSite]) -> None:
        """Charge each SDIV/UDIV at ``sites`` its operand-dependent cycles beyond the static cost
        its block was given (sim/timing/divide.py), in a C code hook on its address (blockhook.c
        tm_div_hook); replaces the hooks of the previous call. Unicorn calls a code hook only
        when the instruction executes, so a divide whose IT condition fails keeps its static 1."""
        from unicorn import UC_HOOK_CODE
        from unicorn import arm_const as UA

        for _site, old in self._div_sites.values():
            self._uclib.uc_hook_del(self._uc._uch, old)
            self._hooks.remove(old)
        self._div_sites = {}
        plain = self._blocks.plain
        if plain is None or plain.table.div_range is None or not sites:
            return
        lo, hi = plain.table.div_range
        regs = [getattr(UA, f"UC_ARM_REG_R{k}") for k in range(13)] + [UA.UC_ARM_REG_SP, UA.UC_ARM_REG_LR,
                                                                       UA.UC_ARM_REG_PC]
        arr = (native.DivSiteC * len(sites))()
        fn = ctypes.cast(self._lib.tm_div_hook, ctypes.c_void_p)
        for k, site in enumerate(sites):
            c = arr[k]
            c.s, c.rn, c.rm, c.is_signed, c.lo, c.hi = self._state.value, regs[site.rn], regs[site.rm], \
                int(site.signed), lo, hi
            handle = ctypes.c_size_t()
            err = self._uclib.uc_hook_add(self._uc._uch, ctypes.byref(handle), UC_HOOK_CODE, fn,
                                          ctypes.c_void_p(ctypes.addressof(c)), ctypes.c_uint64(site.addr),
                                          ctypes.c_uint64(site.addr))
            if err != 0:
                raise SimulationError(f"uc_hook_add(UC_HOOK_CODE) at the divide at 0x{site.addr:08x} failed "
                                      f"with Unicorn error {err}")
            self._hooks.append(handle.value)
            self._div_sites[site.addr] = (c, handle.value)
        self._div_keep = arr
        self._div_conditional = -1
        self._sync_divides()

    def _sync_divides(self) -> None:
        """Static divide costs as the decoded blocks gave them: 1 for one in an IT block."""
        plain = self._blocks.plain
        if plain is None or len(plain.conditional_divides) == self._div_conditional:
            return
        for addr, (c, _handle) in self._div_sites.items():
            c.static_cost = 1 if addr in plain.conditional_divides else plain.table.div
        self._div_conditional = len(plain.conditional_divides)

    def _abandon(self, uclib: ctypes.CDLL, hooks: list[int]) -> None:
        for h in hooks:
            uclib.uc_hook_del(self._uc._uch, h)
        dataloads.unmap(uclib, self._uc._uch, self._mirrors)
        self._lib.tm_free(self._state)

    def retime_data(self, timing: CoreTiming) -> None:
        """The firmware set new flash timing (FLASH_ACR): data loads follow ``timing``'s memories."""
        current = {m.name: m for m in timing.memory.regions}
        for idx, name in enumerate(self._mirrors.names):
            m = current[name]
            cache = timing.data_cache(name) if m.accelerator == "stm32-art" else -1
            self._lib.tm_set_data_timing(self._state, idx, cache, m.wait_states)

    @property
    def cycles(self) -> int:
        return self._cycles_v.value

    @property
    def data_cycles(self) -> int:
        """Wait cycles charged to data loads from wait-stated memory so far (in ``cycles``)."""
        return int(self._lib.tm_data_cycles(self._state))

    @property
    def instructions(self) -> int:
        return self._insns_v.value

    def add(self, cycles: int) -> None:
        """Charge cycles spent outside instruction execution (stalls, exceptions, accelerators)."""
        self._cycles_v.value += cycles

    @property
    def table_slots(self) -> int:
        """Slots of the C block table (it doubles when blocks keep landing in each other's)."""
        return int(self._lib.tm_table_slots(self._state))

    def hot_fields(self) -> tuple[int, int, int]:
        """For a C reader in this process: the addresses of the cycle count (uint64) and of the
        pointer to the block entered last, and the offset of the key in what it points at
        (``(uint32)addr | size << 32``; an RTL peripheral's repeated reads, rtlsim/fast.py)."""
        return ctypes.addressof(self._cycles_v), ctypes.addressof(self._cur_v), self._key_offset

    def _cur_key(self) -> tuple[int, int]:
        """(address, size) of the block entered last (size 0: none)."""
        key = ctypes.c_uint64.from_address(self._cur_v.value + self._key_offset).value
        return key & 0xFFFFFFFF, key >> 32

    def set_deadline(self, cycle: int | None) -> None:
        self._lib.tm_set_deadline(self._state, _NO_DEADLINE if cycle is None else max(0, cycle))

    @property
    def deadline_hit(self) -> bool:
        return bool(self._lib.tm_deadline_hit(self._state))

    @property
    def error(self) -> BaseException | None:
        """An exception (e.g. KeyboardInterrupt) in the decode callback that stopped emulation."""
        return self._error

    @property
    def decode_errors(self) -> list[str]:
        """Blocks the cost model failed on; they were charged one cycle per halfword."""
        return list(self._blocks.errors)

    def raise_error(self) -> None:
        """Re-raise a decode failure that stopped emulation (call after ``emu_start``)."""
        if self._error is not None:
            exc, self._error = self._error, None
            self._lib.tm_clear_stop(self._state)
            raise SimulationError(f"cycle model failed to decode a block: {exc}") from exc

    def clear_stop(self) -> None:
        self._lib.tm_clear_stop(self._state)

    def check_hit(self) -> tuple[int, int] | None:
        """The block (address, size) an entry check (``BlockCost.entry_checks``) stopped before,
        not charged, since the last :meth:`clear_stop`."""
        out = (ctypes.c_uint64 * 4)()
        return (int(out[0]), int(out[1])) if self._lib.tm_check_hit(self._state, out) else None

    def drop_checks(self, addr: int, size: int) -> None:
        """Block (addr, size) is checked otherwise from now on: its entry checks go."""
        self._lib.tm_drop_checks(self._state, addr, size)

    def rewind_to(self, pc: int) -> None:
        cur = self._cur_key()
        cycles, insns = self._blocks.rewind_amounts(cur, pc)
        self._lib.tm_sub(self._state, cycles, insns)
        self._lib.tm_forget_pending(self._state)

    def recent_blocks(self) -> list[int]:
        buf = (ctypes.c_uint32 * RING)()
        n = self._lib.tm_recent(self._state, buf)
        return [int(buf[i]) for i in range(n)]

    def block(self, addr: int) -> BlockCost | None:
        bc = self._blocks.by_addr.get(addr)
        if bc is None:
            size = int(self._lib.tm_size_at(self._state, addr & 0xFFFFFFFF))
            bc = self._blocks.lookup((addr, size)) if size else None
        return bc

    @property
    def current_block(self) -> BlockCost | None:
        """The block entered last (the one executing during an MMIO callback).

        Its whole ``cost`` is already in ``cycles``; ``cycles - cost`` is the count at its
        entry, and ``insn_costs`` give the offset of each instruction within it.
        """
        key = self._cur_key()
        if key[1] == 0:
            return None
        return self._blocks.lookup(key)

    @property
    def current_key(self) -> int:
        """The table key of the block entered last (``addr | size << 32``; 0: none)."""
        addr, size = self._cur_key()
        return addr | size << 32

    def invalidate(self) -> None:
        self._lib.tm_clear_table(self._state)
        self._blocks.clear()
        if self._decoder:
            self._push_regions()

    @property
    def misses(self) -> int:
        """How many times the hook had to ask Python to decode a block."""
        return int(self._lib.tm_misses(self._state))

    @property
    def line_misses(self) -> int:
        """Accelerator cache misses (instruction lines and literal lines) so far."""
        return int(self._lib.tm_line_misses(self._state))

    def flush_caches(self) -> None:
        """Empty the modelled accelerator caches (the firmware reset/flushed them)."""
        self._lib.tm_flush_caches(self._state)

    # -- stack high-water --------------------------------------------------------------------

    def reset_stack(self, sp: int) -> None:
        """Start a new low-water mark at ``sp`` (the board calls this at reset)."""
        self._lib.tm_sp_reset(self._state, sp & 0xFFFFFFFF)

    def note_sp(self, sp: int) -> None:
        """SP was lowered outside block execution (exception stacking)."""
        self._lib.tm_sp_note(self._state, sp & 0xFFFFFFFF)

    # -- mask watch --------------------------------------------------------------------------

    def watch_masks(self, values: tuple[int, int, int]) -> None:
        """Stop at the first block entry where PRIMASK, BASEPRI or FAULTMASK differ from
        ``values`` (an exception is pending but masked; Unicorn runs MSR/CPS itself)."""
        from unicorn import arm_const as A

        ids = (ctypes.c_int32 * 3)(A.UC_ARM_REG_PRIMASK, A.UC_ARM_REG_BASEPRI, A.UC_ARM_REG_FAULTMASK)
        vals = (ctypes.c_uint64 * 3)(*values)
        self._lib.tm_watch_masks(self._state, ids, vals)

    def watch_off(self) -> None:
        self._lib.tm_watch_off(self._state)

    @property
    def watching(self) -> bool:
        return bool(self._lib.tm_watching(self._state))

    @property
    def sp_low(self) -> int | None:
        """The lowest SP the firmware reached (including what blocks pushed), or None."""
        low = int(self._lib.tm_sp_min(self._state))
        return None if low == 0xFFFFFFFF else low

    # -- profiling ---------------------------------------------------------------------------

    def _swap_block_hook(self, fn_name: str) -> None:
        from unicorn import UC_HOOK_BLOCK

        uc, uclib = self._uc, self._uclib
        uclib.uc_hook_del(uc._uch, self._hook)
        handle = ctypes.c_size_t()
        err = uclib.uc_hook_add(uc._uch, ctypes.byref(handle), UC_HOOK_BLOCK,
                                ctypes.cast(getattr(self._lib, fn_name), ctypes.c_void_p),
                                self._state, 1, 0)
        if err != 0:
            raise SimulationError(f"uc_hook_add(UC_HOOK_BLOCK, {fn_name}) failed with Unicorn error {err}")
        self._hooks[self._hooks.index(self._hook)] = handle.value
        self._hook = handle.value

    @property
    def profiling(self) -> bool:
        return self._func_of is not None

    def enable_profile(self, func_of: Callable[[int], int]) -> None:
        """Attribute cycles to calling contexts from now on (an empty tree each call).

        ``func_of(addr)`` gives the function id of a block start; the profiling hook replaces
        the plain one, so runs without profiling keep their speed.
        """
        if self._lib.tm_prof_enable(self._state) != 0:
            raise MemoryError("tm_prof_enable failed")
        was = self._func_of is not None
        self._func_of = func_of
        self._lib.tm_dec_mode(self._state, int(self._decoder), 1)
        self.invalidate()  # re-decode blocks so that each carries its function id
        if not was:
            self._swap_block_hook("tm_block_hook_prof")

    def disable_profile(self) -> None:
        if self._func_of is None:
            return
        self._swap_block_hook("tm_block_hook")
        self._lib.tm_prof_disable(self._state)
        self._func_of = None
        self._lib.tm_dec_mode(self._state, int(self._decoder), 0)

    def note_exception_entry(self, handler_func: int) -> None:
        """The board entered an exception handler (a call in the profile); no-op unless profiling."""
        if self._func_of is not None:
            self._lib.tm_prof_exc_enter(self._state, handler_func)

    def note_exception_return(self) -> None:
        if self._func_of is not None:
            self._lib.tm_prof_exc_return(self._state)

    def call_tree(self) -> CallTree:
        """The calling-context tree so far (every charged cycle is in exactly one node)."""
        lib, st = self._lib, self._state
        lib.tm_prof_sync(st)
        n = int(lib.tm_prof_count(st))
        parent = (ctypes.c_uint32 * n)()
        func = (ctypes.c_uint32 * n)()
        calls = (ctypes.c_uint64 * n)()
        selfc = (ctypes.c_int64 * n)()
        n = int(lib.tm_prof_nodes(st, n, parent, func, calls, selfc))
        return CallTree(
            parent=tuple(-1 if parent[i] == 0xFFFFFFFF else int(parent[i]) for i in range(n)),
            func=tuple(-1 if func[i] == 0xFFFFFFFF else int(func[i]) for i in range(n)),
            calls=tuple(int(calls[i]) for i in range(n)),
            self_cycles=tuple(int(selfc[i]) for i in range(n)),
            open_depth=int(lib.tm_prof_depth(st)),
            lost_frames=int(lib.tm_prof_lost(st)),
        )

    def close(self) -> None:
        # the views point into the C state: keep the last counts readable once it is freed
        self._cycles_v, self._insns_v = ctypes.c_uint64(self.cycles), ctypes.c_uint64(self.instructions)
        self._no_block = ctypes.c_uint64(0)
        self._cur_v = ctypes.c_size_t(ctypes.addressof(self._no_block) - self._key_offset)
        self._finalizer()


def _release(
    uc_ref: weakref.ref[Any],
    uclib: ctypes.CDLL,
    lib: ctypes.CDLL,
    hooks: list[int],
    state: ctypes.c_void_p,
    miss: Callable[..., int],
    mirrors: dataloads.DataMirrors,
) -> None:
    uc = uc_ref()
    if uc is not None and getattr(uc, "_uch", None):
        for hook in hooks:
            uclib.uc_hook_del(uc._uch, hook)
        dataloads.unmap(uclib, uc._uch, mirrors)
    lib.tm_free(state)
    del miss  # the C state that pointed at it is gone
