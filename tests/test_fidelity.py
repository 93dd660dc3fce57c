"""benchmarks/fidelity.py on stand-in checkouts (tandem ships no CoreMark or Dhrystone).

The stand-ins have the file names and console output of the real benchmarks but trivial
work, so the tests check the harness: building with tandem's port files, the run-count
difference for Dhrystone, the CRC check for CoreMark, and the table. The *_STYLE trees are
written in the shape of the common public copies (eembc/coremark's coremark.h and core_main.c:
COMPILER_FLAGS printed as a string; Dhrystone 2.1's dhry_1.c: K&R definitions,
``extern int times ();`` under TIMES, main reading the run count only when argc == 1).
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

import fidelity  # noqa: E402

COREMARK_MAIN = r"""
#include "coremark.h"
volatile ee_u32 sink;
int main(void)
{
    core_portable port;
    ee_u32 i, iterations = (ee_u32)get_seed_32(4);
    portable_init(&port, 0, 0);
    start_time();
    for (i = 0; i < iterations * 100u; i++)
        sink += i;
    stop_time();
    printf("Total ticks      : %lu\n", (unsigned long)get_time());
    printf("[0]crclist       : 0x%04x\n", CRCLIST);
    printf("[0]crcmatrix     : 0x1fd7\n");
    printf("[0]crcstate      : 0x8e3a\n");
    portable_fini(&port);
    return 0;
}
"""
COREMARK_UTIL = r"""
#include "coremark.h"
extern volatile ee_s32 seed4_volatile;
ee_s32 get_seed_32(int i) { return i == 4 ? seed4_volatile : 0; }
"""
COREMARK_H = r"""
#include "core_portme.h"
#include <stdio.h>
typedef ee_u32 secs_ret;
void start_time(void);
void stop_time(void);
CORE_TICKS get_time(void);
secs_ret time_in_secs(CORE_TICKS ticks);
ee_s32 get_seed_32(int i);
"""
DHRY_1 = r"""
#include "dhry.h"
int Int_Glob;
int main(void)
{
    int n = 0, i;
    printf("Please give the number of runs through the benchmark: ");
    scanf("%d", &n);
    printf("Execution starts, %d runs through Dhrystone\n", n);
    for (i = 1; i <= n; i++)
        Proc_7(i, 3, &Int_Glob);
    printf("Execution ends\n");
    return 0;
}
"""
DHRY_2 = r"""
#include "dhry.h"
void Proc_7(int a, int b, int *out) { *out = a + b + 2; }
"""


def _coremark(tmp: Path, crclist: str) -> Path:
    d = tmp / f"coremark-{crclist}"
    d.mkdir()
    (d / "coremark.h").write_text(COREMARK_H)
    (d / "core_main.c").write_text(f"#define CRCLIST {crclist}\n" + COREMARK_MAIN)
    (d / "core_util.c").write_text(COREMARK_UTIL)
    for name in ("core_list_join.c", "core_matrix.c", "core_state.c"):
        (d / name).write_text('#include "coremark.h"\n')
    return d


# As the common public dhry_1.c does under TIMES: the clock declared K&R style, which
# conflicts with newlib's clock_t times(struct tms *) unless the harness renames it.
DHRY_KR_TIMES = r"""
#include <sys/types.h>
#include <sys/times.h>
struct tms time_info;
extern int times ();
"""


def _dhrystone(tmp: Path, kr_times: bool = False) -> Path:
    d = tmp / ("dhrystone-kr" if kr_times else "dhrystone")
    d.mkdir()
    (d / "dhry.h").write_text("#include <stdio.h>\nvoid Proc_7(int a, int b, int *out);\n")
    main = DHRY_1.replace("    printf(\"Execution ends\\n\");", "    times(&time_info);\n"
                          "    printf(\"Execution ends\\n\");") if kr_times else DHRY_1
    (d / "dhry_1.c").write_text((DHRY_KR_TIMES if kr_times else "") + main)
    (d / "dhry_2.c").write_text(DHRY_2)
    return d


def test_coremark_row_from_the_ports_tick_count(tmp_path: Path, cfg) -> None:
    src = _coremark(tmp_path, "0xe714")
    row = fidelity.run_coremark(src, "generic_m4", "-O2", (), 4, cfg)
    assert (row.bench, row.core, row.mhz, row.published) == ("CoreMark", "cortex-m4", 100.0, 3.40)
    assert row.cycles > 100  # 100 loop iterations per CoreMark "iteration"
    assert row.score == pytest.approx(1e6 / row.cycles)
    m3 = fidelity.run_coremark(src, "generic_m3", "-O2", (), 4, cfg)
    assert (m3.core, m3.published) == ("cortex-m3", 3.34)


def test_coremark_wrong_crc_is_an_error(tmp_path: Path, cfg) -> None:
    src = _coremark(tmp_path, "0x1234")
    with pytest.raises(fidelity.FidelityError, match="crclist is 1234, expected 0xe714"):
        fidelity.run_coremark(src, "generic_m4", "-O2", (), 2, cfg)


def test_dhrystone_cycles_per_run_do_not_depend_on_the_run_count(tmp_path: Path, cfg) -> None:
    src = _dhrystone(tmp_path)
    assert fidelity.run_counts(50) == (10, 90) and fidelity.run_counts(500) == (100, 900)
    a = fidelity.run_dhrystone(src, "generic_m4", "-O2", ("-fno-inline",), 50, cfg)
    b = fidelity.run_dhrystone(src, "generic_m4", "-O2", ("-fno-inline",), 2000, cfg)
    # Start-up and printing cancel out but for the divisions that print the run count, whose
    # cycles follow the digits (2-12 each, sim/timing/divide.py): at most 10 x 2 prints x (k + 1)
    # digits apart, i.e. 40 / 80 runs for (10, 90) and 80 / 8000 for (1000, 9000).
    assert int(a.cycles) == int(b.cycles) and 3 < a.cycles < 30
    assert a.cycles - int(a.cycles) <= 40 / 80 and b.cycles - int(b.cycles) <= 80 / 8000
    assert a.score == pytest.approx(1e6 / (a.cycles * 1757))
    assert a.flags == "-O2 -fno-inline"


def test_dhrystone_copy_declaring_times_kr_style_builds(tmp_path: Path, cfg) -> None:
    """`extern int times ();` (dhry_1.c under TIMES) against newlib's prototype: it builds and
    its clock stands still, so the run-count difference is the loop body as without it."""
    src = _dhrystone(tmp_path, kr_times=True)
    assert "times(&time_info)" in (src / "dhry_1.c").read_text()
    kr = fidelity.run_dhrystone(src, "generic_m4", "-O2", ("-fno-inline",), 50, cfg)
    plain = fidelity.run_dhrystone(_dhrystone(tmp_path), "generic_m4", "-O2", ("-fno-inline",), 50, cfg)
    assert kr.cycles == plain.cycles


def test_missing_sources_and_table(tmp_path: Path, capsys) -> None:
    assert fidelity.main(["--coremark", str(tmp_path)]) == 1
    assert "missing core_list_join.c" in capsys.readouterr().err
    rows = [fidelity.Row("CoreMark", "generic_m4", "cortex-m4", 100.0, "-O2", 300_000.0,
                         10 / 3, 3.40)]
    fidelity.print_table(rows)
    out = capsys.readouterr().out.splitlines()
    assert out[2] == ("| CoreMark | generic_m4 | cortex-m4 | 100 | -O2 | 300,000 | 3.333 | 3.40 "
                      "| -2.0% |")


def test_extra_flag_sets_parse() -> None:
    sets = fidelity._flag_sets(["-O3 -funroll-loops", "-fno-inline"], ())
    assert sets == [("-O3", ("-funroll-loops",)), ("-O2", ("-fno-inline",))]


# eembc/coremark's shape: coremark.h includes core_portme.h and maps ee_printf to printf;
# core_main.c prints COMPILER_FLAGS with %s, so it must expand to a string literal.
COREMARK_H_STYLE = r"""
#ifndef TOTAL_DATA_SIZE
#define TOTAL_DATA_SIZE 2*1000
#endif
#define SEED_ARG 0
#define SEED_FUNC 1
#define SEED_VOLATILE 2
#define MEM_STATIC 0
#define MEM_MALLOC 1
#define MEM_STACK 2
#include "core_portme.h"
#if HAS_STDIO
#include <stdio.h>
#endif
#if HAS_PRINTF
#define ee_printf printf
#endif
#if MAIN_HAS_NORETURN
#define MAIN_RETURN_VAL
#define MAIN_RETURN_TYPE void
#else
#define MAIN_RETURN_VAL 0
#define MAIN_RETURN_TYPE int
#endif
typedef ee_u32 secs_ret;
void start_time(void);
void stop_time(void);
CORE_TICKS get_time(void);
secs_ret time_in_secs(CORE_TICKS ticks);
ee_s32 get_seed_32(int i);
"""
COREMARK_MAIN_STYLE = r"""
#include <string.h>
#include "coremark.h"
volatile ee_u32 sink;
#if MAIN_HAS_NOARGC
MAIN_RETURN_TYPE
main(void)
{
    int   argc = 0;
    char *argv[1];
#else
MAIN_RETURN_TYPE
main(int argc, char *argv[])
{
#endif
    core_portable port;
    ee_u32 i, iterations = (ee_u32)get_seed_32(4);
    portable_init(&port, &argc, argv);
    start_time();
    for (i = 0; i < iterations * 100u; i++)
        sink += i;
    stop_time();
    ee_printf("Total ticks      : %lu\n", (long unsigned)get_time());
    ee_printf("Compiler version : %s\n", COMPILER_VERSION);
    ee_printf("Compiler flags   : %s\n", COMPILER_FLAGS);
    ee_printf("Memory location  : %s\n", MEM_LOCATION);
    /* the list CRC is right only if the flags arrived as the string the harness built */
    ee_printf("[%d]crclist       : 0x%04x\n", 0, strcmp(COMPILER_FLAGS, WANT_FLAGS) ? 0 : 0xe714);
    ee_printf("[%d]crcmatrix     : 0x%04x\n", 0, 0x1fd7);
    ee_printf("[%d]crcstate      : 0x%04x\n", 0, 0x8e3a);
    portable_fini(&port);
    return MAIN_RETURN_VAL;
}
"""


def _coremark_style(tmp: Path, want_flags: str, main: str = COREMARK_MAIN_STYLE) -> Path:
    d = tmp / "coremark-style"
    d.mkdir(exist_ok=True)
    (d / "coremark.h").write_text(COREMARK_H_STYLE)
    want = want_flags.replace("\\", "\\\\").replace('"', '\\"')
    (d / "core_main.c").write_text(f'#define WANT_FLAGS "{want}"\n' + main)
    (d / "core_util.c").write_text(COREMARK_UTIL)
    for name in ("core_list_join.c", "core_matrix.c", "core_state.c"):
        (d / name).write_text('#include "coremark.h"\n')
    # Some forks keep a port header next to coremark.h; tandem's must be used instead.
    (d / "core_portme.h").write_text('#error "the checkout\'s core_portme.h was used"\n')
    return d


@pytest.mark.parametrize("opt,flags", [
    ("-O2", ()),
    ("-O3", ("-funroll-all-loops", "-finline-limit=600", "-fno-schedule-insns")),
    ("-O2", ('-DTAG="a b"', "-DPATH=c:\\x")),  # quotes and a backslash inside the string
])
def test_coremark_compiler_flags_reach_core_main_as_a_string(tmp_path: Path, cfg, opt: str,
                                                             flags: tuple[str, ...]) -> None:
    """The failure of issue 15 item 5: through make's shell -DCOMPILER_FLAGS="-O2" lost its
    quotes ("'O2' undeclared"). Here the stand-in checks the string it received."""
    want = " ".join((opt,) + flags)
    assert fidelity.c_string_define("X", 'a "b" \\c') == '-DX="a \\"b\\" \\\\c"'
    row = fidelity.run_coremark(_coremark_style(tmp_path, want), "generic_m4", opt, flags, 3, cfg)
    assert row.flags == want and row.cycles > 100


def test_coremark_build_failure_is_one_line(tmp_path: Path, cfg, capsys) -> None:
    src = _coremark_style(tmp_path, "-O2", main=COREMARK_MAIN_STYLE + "\nint broken(void) { return }\n")
    assert fidelity.main(["--coremark", str(src), "--boards", "generic_m4"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("fidelity: building coremark for generic_m4 failed: ")
    assert f"{src / 'core_main.c'}:" in err and "error" in err  # the checkout's file, not a copy


def test_bad_checkout_and_board_are_one_line(tmp_path: Path, cfg, capsys) -> None:
    assert fidelity.main(["--dhrystone", str(tmp_path / "nowhere")]) == 1
    err = capsys.readouterr().err
    assert err == f"fidelity: Dhrystone checkout {tmp_path / 'nowhere'}: not a directory\n"
    src = _dhrystone(tmp_path)
    assert fidelity.main(["--dhrystone", str(src), "--boards", "no_such_board"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("fidelity: ") and "no_such_board" in err


# Dhrystone 2.1 as the common public copies have it (Weicker's dhry.h / dhry_1.c / dhry_2.c):
# K&R definitions, implicit int, malloc declared by hand, the clock declared K&R style under
# TIMES, and a main that reads the run count with scanf only when argc == 1.
DHRY_H_STYLE = r"""
#ifdef TIMES
#include <sys/types.h>
#include <sys/times.h>
#endif
#include <stdio.h>
#include <string.h>
#define Null 0
#define true 1
#define false 0
typedef int One_Fifty;
typedef int Boolean;
typedef struct record { struct record *Ptr_Comp; int Int_Comp; } Rec_Type, *Rec_Pointer;
#define structassign(d, s) d = s
"""
DHRY_1_STYLE = r"""
#include "dhry.h"
Rec_Pointer Ptr_Glob;
int Int_Glob;
#ifdef TIMES
struct tms      time_info;
extern  int     times ();
#define Too_Small_Time (2*HZ)
#endif
extern char *malloc ();
long Begin_Time, End_Time, User_Time;

MAIN_DECL
{
  REG int Run_Index;
  REG int Number_Of_Runs;
  One_Fifty Int_Loc = 3;
  Ptr_Glob = (Rec_Pointer) malloc (sizeof (Rec_Type));
  Ptr_Glob->Int_Comp = 40;
  printf ("Dhrystone Benchmark, Version 2.1 (Language: C)\n");
  if (ARGC_IS_ONE)
  {
    printf ("Please give the number of runs through the benchmark: ");
    { int n; scanf ("%d", &n); Number_Of_Runs = n; }
  }
  else
    Number_Of_Runs = 7;  /* atoi (argv[1]) in the copies */
  printf ("Execution starts, %d runs through Dhrystone\n", Number_Of_Runs);
  times (&time_info);
  Begin_Time = (long) time_info.tms_utime;
  for (Run_Index = 1; Run_Index <= Number_Of_Runs; ++Run_Index)
  {
    Proc_7 (Run_Index, Int_Loc, &Int_Glob);
  }
  times (&time_info);
  End_Time = (long) time_info.tms_utime;
  printf ("Execution ends\n");
  User_Time = End_Time - Begin_Time;
  if (User_Time < Too_Small_Time)
    printf ("Measured time too small to obtain meaningful results\n");
}
"""
DHRY_2_STYLE = r"""
#include "dhry.h"
#ifndef REG
#define REG
#endif
Proc_7 (Int_1_Par_Val, Int_2_Par_Val, Int_Par_Ref)
One_Fifty       Int_1_Par_Val;
One_Fifty       Int_2_Par_Val;
One_Fifty      *Int_Par_Ref;
{
  One_Fifty Int_Loc;
  Int_Loc = Int_1_Par_Val + EXTRA;
  *Int_Par_Ref = Int_2_Par_Val + Int_Loc;
}
"""


def _dhrystone_style(tmp: Path, name: str, main_decl: str, argc_test: str,
                     extra: int = 2) -> Path:
    d = tmp / name
    d.mkdir(exist_ok=True)
    (d / "dhry.h").write_text(DHRY_H_STYLE + f"#define EXTRA {extra}\n")
    (d / "dhry_1.c").write_text("#ifndef REG\n#define REG\n#endif\n" + DHRY_1_STYLE
                                .replace("MAIN_DECL", main_decl).replace("ARGC_IS_ONE", argc_test))
    (d / "dhry_2.c").write_text(DHRY_2_STYLE)
    return d


@pytest.mark.parametrize("main_decl,argc_test", [
    ("main ()", "1"),  # Weicker's original: implicit int, no parameters
    ("void main (int argc, char **argv)", "argc == 1"),  # copies that also take argv[1]
    ("int main (int argc, char *argv[])", "argc == 1 && argv[1] == 0"),
])
def test_public_dhrystone_shapes_build_and_read_the_run_count(tmp_path: Path, cfg, main_decl: str,
                                                              argc_test: str) -> None:
    src = _dhrystone_style(tmp_path, "dhry", main_decl, argc_test)
    row = fidelity.run_dhrystone(src, "generic_m4", "-O2", ("-fno-inline",), 50, cfg)
    # One run: the loop's compare/branch/increment and a call to Proc_7 (a few instructions):
    # between the two runs only the 80 extra loop passes differ.
    assert 5 < row.cycles < 40


def test_a_header_change_rebuilds(tmp_path: Path, cfg) -> None:
    """dhry.h is not compiled on its own; the staged copy is named by every file's digest."""
    a = _dhrystone_style(tmp_path, "dhry-a", "main ()", "1", extra=2)
    staged = fidelity.stage(a, ("dhry_1.c", "dhry_2.c", "dhry.h"), "dhrystone", cfg)
    assert fidelity.stage(a, ("dhry_1.c", "dhry_2.c", "dhry.h"), "dhrystone", cfg) == staged
    assert sorted(p.name for p in staged.iterdir()) == ["dhry.h", "dhry_1.c", "dhry_2.c"]
    before = fidelity.run_dhrystone(a, "generic_m4", "-O2", ("-fno-inline",), 50, cfg)
    (a / "dhry.h").write_text(DHRY_H_STYLE + "static volatile int Tick;\n#define EXTRA (Tick++ + 2)\n")
    assert fidelity.stage(a, ("dhry_1.c", "dhry_2.c", "dhry.h"), "dhrystone", cfg) != staged
    after = fidelity.run_dhrystone(a, "generic_m4", "-O2", ("-fno-inline",), 50, cfg)
    # Tick++ adds a load, an add and a store to each run: at least 1 + 1 + 1 cycles (M4 TRM
    # table 3-1: LDR 2, or 1 when pipelined after another load; ADD 1; STR 1)
    assert after.cycles - before.cycles >= 3


@pytest.mark.parametrize("board", ["nucleo_l4r5zi", "bluepill"])
def test_the_public_shapes_run_on_the_stm32_boards(tmp_path: Path, cfg, board: str) -> None:
    """The ART board and the 20 KiB Blue Pill: the Dhrystone port's stack and heap fit, and the
    CoreMark port's DWT timing counts there too."""
    d = _dhrystone_style(tmp_path, "dhry", "void main (int argc, char **argv)", "argc == 1")
    row = fidelity.run_dhrystone(d, board, "-O2", ("-fno-inline",), 50, cfg)
    assert row.board == board and 5 < row.cycles < 60
    cm = fidelity.run_coremark(_coremark_style(tmp_path, "-O2"), board, "-O2", (), 3, cfg)
    assert cm.cycles > 100
