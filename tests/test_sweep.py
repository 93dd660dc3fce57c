"""tandem sweep: a 2x2 sweep of the conv engine (rows=2,4 x busWaitStates=0,1) on a one-CONV_2D
model, locally and on a Dask scheduler and worker started here on 127.0.0.1 (same table); area
grows with the array; the HTML page renders in headless Chromium with the plot; a second run
skips every point; bad params and spec files are one-line errors.

Cold, the two yosys runs dominate: the file took 544 s cold on this loaded 2-core machine (over the
3 min aim; the engine's smallest arrays still synthesise in minutes), about 30 s warm. They are
cached under the session's cache, so the Dask run and the resume reuse them.
"""
from __future__ import annotations

import csv
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tandem.cli import main
from tandem.errors import SweepError
from tandem.sweep.spec import build_spec, parse_param

VENV_BIN = Path(sys.executable).parent
PARAMS = ["--param", "PO=2,4", "--param", "frequency=0,50000000"]


def _overlay(cfg, tmp: Path) -> Path:
    text = (cfg.platforms_dir / "accel" / "conv4x4.repl").read_text()
    old = "IBUF_WORDS=256 WBUF_WORDS=128 OBUF_WORDS=256 MAX_OC=16"
    assert old in text
    text = text.replace(old, "IBUF_WORDS=64 WBUF_WORDS=32 OBUF_WORDS=64 MAX_OC=8")
    text = text.replace('["../../rtl/', f'["{cfg.root}/rtl/').replace('"../../rtl/', f'"{cfg.root}/rtl/')
    path = tmp / "small_conv.repl"
    path.write_text(text)
    return path


def _model(tmp: Path) -> Path:
    from tandem.tinyml.models.ops import conv2d

    model, _ = conv2d(np.random.default_rng(3), h=6, w=6, cin=4, cout=8, kh=3, kw=3)
    path = tmp / "conv1.tflite"
    path.write_bytes(model)
    return path


def _table(out: Path) -> list[dict[str, str]]:
    with (out / "results.csv").open() as f:
        rows = list(csv.DictReader(f))
    return sorted(rows, key=lambda r: (r["PO"], r["frequency"]))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def work(tmp_path_factory, cfg):
    tmp = tmp_path_factory.mktemp("sweep")
    return tmp, _overlay(cfg, tmp), _model(tmp)


def _run(work, out: Path, *extra: str) -> int:
    tmp, overlay, model = work
    return main(["sweep", "--board", "generic_m4", "--model", str(model), "--accel", str(overlay), *PARAMS,
                 "--out", str(out), *extra])


def test_local_sweep_resume_and_html(work, capsys):
    tmp = work[0]
    out = tmp / "local"
    assert _run(work, out, "--workers", "2") == 0
    rows = _table(out)
    assert len(rows) == 4
    assert all(r["bit_exact"] == "True" for r in rows)
    assert all(int(r["accel_cycles"]) > 0 and float(r["speedup"]) > 0 for r in rows)
    assert all(0 < float(r["mac_utilisation"]) <= 1 for r in rows)
    area = {r["PO"]: (int(r["area_cells"]), int(r["lut4"])) for r in rows}
    assert area["4"][0] > area["2"][0] and area["4"][1] > area["2"][1]
    # the engine at half the CPU's 100 MHz: the same engine cycles cost the CPU more cycles
    by = {(r["PO"], r["frequency"]): int(r["cycles"]) for r in rows}
    assert by[("2", "50000000")] > by[("2", "0")] and by[("4", "50000000")] > by[("4", "0")]
    acc = {(r["PO"], r["frequency"]): int(r["accel_cycles"]) for r in rows}
    assert acc[("4", "0")] == acc[("4", "50000000")] and acc[("4", "0")] < acc[("2", "0")]
    capsys.readouterr()
    # resumable: every point is in the table, nothing runs again
    t0 = time.perf_counter()
    assert _run(work, out, "--workers", "1") == 0
    assert "4 of 4 design points already in" in capsys.readouterr().err
    assert time.perf_counter() - t0 < 30
    assert len(_table(out)) == 4
    _check_html(out)


def _check_html(out: Path) -> None:
    chromium = shutil.which("chromium")
    assert chromium, "chromium is not installed (scripts/setup.sh installs it)"
    shot = out / "shot.png"
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", f"--screenshot={shot}",
                    "--window-size=1000,800", (out / "sweep.html").as_uri()], check=True, timeout=120,
                   capture_output=True)
    import matplotlib.image as mpimg

    img = mpimg.imread(str(shot))[:, :, :3]
    # the plot sits below the title: its region holds the axes, points and labels, not blank page
    region = img[80:560, 0:820]
    assert (region < 0.9).mean() > 0.01, "the plot region of the page is blank"
    assert len(np.unique((region * 255).astype(np.uint8).reshape(-1, 3), axis=0)) > 20


def test_dask_sweep_same_table(work, cfg):
    tmp = work[0]
    port = _free_port()
    env = {**os.environ, "TANDEM_CACHE": str(cfg.cache_dir)}
    sched = subprocess.Popen([str(VENV_BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                              "--no-dashboard"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    worker = subprocess.Popen([str(VENV_BIN / "dask"), "worker", f"tcp://127.0.0.1:{port}", "--nthreads", "1",
                               "--nworkers", "1", "--no-dashboard"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        local = tmp / "local"
        if not (local / "results.csv").is_file():
            assert _run(work, local, "--workers", "2") == 0
        out = tmp / "dask"
        assert _run(work, out, "--scheduler", f"tcp://127.0.0.1:{port}") == 0
        drop = ("wall_seconds",)
        strip = [{k: v for k, v in r.items() if k not in drop} for r in _table(out)]
        assert strip == [{k: v for k, v in r.items() if k not in drop} for r in _table(local)]
    finally:
        for proc in (worker, sched):
            proc.terminate()
            proc.wait(timeout=30)


def test_bad_params_and_specs(tmp_path, cfg, capsys):
    with pytest.raises(SweepError, match="expected NAME=V1"):
        parse_param("rows")
    with pytest.raises(SweepError, match="given twice"):
        parse_param("rows=4,4")
    model = _model(tmp_path)
    spec = tmp_path / "s.toml"
    spec.write_text('board = "generic_m4"\naccel = "conv4x4"\n[params]\nPO = [4, 8]\ncolz = true\n')
    with pytest.raises(SweepError, match=r"s\.toml:5: param 'colz'"):
        build_spec(spec, None, [str(model)], None, [])
    spec.write_text('board = "generic_m4"\nbogus = 1\n')
    with pytest.raises(SweepError, match=r"s\.toml:2: unknown key 'bogus'"):
        build_spec(spec, None, [str(model)], None, [])
    out = str(tmp_path / "o")
    # an unknown parameter name: one line, before any run (a Verilog parameter value the engine
    # refuses stops that point's build instead)
    assert main(["sweep", "--board", "generic_m4", "--model", str(model), "--accel", "conv4x4",
                 "--param", "rowz=2,4", "--out", out]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "param 'rowz' is neither a property" in err
