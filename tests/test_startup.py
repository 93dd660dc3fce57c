"""Start-up: the firmware cache's stat index, lazy imports of the CLI, and `tandem bench startup`."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tandem.config import TandemConfig
from tandem.firmware.build import FirmwareSpec, build_firmware
from tandem.platform import load_platform


@pytest.fixture()
def cfg(tmp_path: Path) -> TandemConfig:
    from dataclasses import replace

    return replace(TandemConfig.from_env(), cache_dir=tmp_path / "cache")


def _index(cfg: TandemConfig) -> list[Path]:
    return sorted((cfg.cache_dir / "firmware" / "stat-index").iterdir())


def test_stat_index_finds_the_build_and_rebuilds_on_change(cfg: TandemConfig, tmp_path: Path) -> None:
    src = tmp_path / "prog.c"
    src.write_text("int main(void) { return 3; }\n")
    platform = load_platform("generic_m4", cfg.platforms_search)
    spec = FirmwareSpec((str(src),), name="prog", port="semihost")
    elf = build_firmware(platform, spec, cfg)
    assert len(_index(cfg)) == 1
    assert (_index(cfg)[0].read_text().strip()) in elf.parent.name
    built = elf.stat().st_mtime_ns
    assert build_firmware(platform, spec, cfg) == elf  # found through the index
    assert len(_index(cfg)) == 1

    # touched, same content: a new stat entry, the same build (the content key decides)
    st = src.stat()
    os.utime(src, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    assert build_firmware(platform, spec, cfg) == elf
    assert elf.stat().st_mtime_ns == built
    assert len(_index(cfg)) == 2

    # changed content (same size, mtime moved on): rebuilt into a new folder
    src.write_text("int main(void) { return 4; }\n")
    os.utime(src, ns=(st.st_atime_ns, st.st_mtime_ns + 10_000_000_000))
    changed = build_firmware(platform, spec, cfg)
    assert changed != elf and changed.is_file()
    assert changed.read_bytes() != elf.read_bytes()


def test_stat_index_entry_pointing_at_a_removed_build_rebuilds(cfg: TandemConfig, tmp_path: Path) -> None:
    import shutil

    src = tmp_path / "prog.c"
    src.write_text("int main(void) { return 5; }\n")
    platform = load_platform("generic_m4", cfg.platforms_search)
    spec = FirmwareSpec((str(src),), name="prog", port="semihost")
    elf = build_firmware(platform, spec, cfg)
    shutil.rmtree(elf.parent)
    assert build_firmware(platform, spec, cfg) == elf and elf.is_file()


HEAVY = ("numpy", "unicorn", "capstone", "tflite", "elftools", "importlib.metadata")


@pytest.mark.parametrize("argv", [["boards"], ["--help"], ["bench", "--help"], ["run", "--help"]])
def test_light_commands_import_nothing_heavy(argv: list[str]) -> None:
    code = ("import sys\nfrom tandem.cli import main\n"
            f"try:\n    main({argv!r})\nexcept SystemExit:\n    pass\n"
            f"print('HEAVY:' + ' '.join(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    line = [ln for ln in out.stderr.splitlines() if ln.startswith("HEAVY:")]
    assert line == ["HEAVY:"], out.stderr


def test_version_is_looked_up_on_first_use() -> None:
    code = ("import sys, tandem\nassert 'importlib.metadata' not in sys.modules\n"
            "v = tandem.version()\nassert v == tandem.__version__\nprint(v)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip()


def test_bench_startup_prints_its_rows(capsys: pytest.CaptureFixture[str]) -> None:
    from tandem.cli import main

    assert main(["bench", "startup", "--runs", "1"]) == 0
    out = capsys.readouterr().out
    for name in ("tandem run cpubound.c", "tandem infer kws_ds_cnn"):
        line = next(ln for ln in out.splitlines() if ln.startswith(name))
        assert "first instruction best" in line and "imports best" in line and "(1 runs)" in line


def test_bench_prints_its_named_rows(capsys: pytest.CaptureFixture[str]) -> None:
    from tandem.cli import main

    assert main(["bench", "--no-cosim", "--runs", "1", "--rounds", "200"]) == 0
    out = capsys.readouterr().out
    rows = {ln.split(",")[0] for ln in out.splitlines()}
    for name in ("cpubound.c integer loop (200 rounds)", "conv kernel (op_conv2d.tflite)",
                 "KWS DS-CNN inference (kws_ds_cnn.tflite)"):
        assert name in rows, out
    loop = next(ln for ln in out.splitlines() if ln.startswith("cpubound.c"))
    assert loop.split()[-2:] != ["n/a", "n/a"]  # QEMU is installed by the set-up: its ratio is printed
    profiled = next(ln for ln in out.splitlines() if "the same loop profiled" in ln)
    assert float(profiled.split("MIPS, ")[1].split("x")[0]) > 0, profiled
    model_rows = [ln for ln in out.splitlines() if ln.startswith(("conv kernel", "KWS DS-CNN inference"))]
    assert len(model_rows) == 3, out  # KWS on nucleo_l4r5zi and on mps2_an386
    for model_row in model_rows:
        # the bare-Unicorn run of the runtime image reaches its exit call (on the STM32 board too):
        # a figure and a tandem/Unicorn ratio; QEMU's only on mps2_an386, the board it models
        fields = model_row.split(", ", 1)[1].split()
        board, fields = fields[0], fields[1:]
        assert fields[2] != "n/a" and float(fields[4]) > 0, model_row
        assert (fields[3] != "n/a" and float(fields[5]) > 0) == (board == "mps2_an386"), model_row
    assert "tandem infer kws_ds_cnn" in out
