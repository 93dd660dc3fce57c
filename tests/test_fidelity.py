"""benchmarks/fidelity.py on stand-in checkouts (tandem ships no CoreMark or Dhrystone).

The stand-ins have the file names and console output of the real benchmarks but trivial
work, so the tests check the harness: building with tandem's port files, the run-count
difference for Dhrystone, the CRC check for CoreMark, and the table.
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
