"""The README's demo: keyword spotting CPU-only and with the RTL accelerator, as a user runs it."""
from __future__ import annotations

import json
import re
import subprocess
import sys


def test_demo(tmp_path):
    out = tmp_path / "demo"
    res = subprocess.run([sys.executable, "-m", "tandem.cli", "demo", "--out", str(out)], capture_output=True,
                         text=True, timeout=900)
    assert res.returncode == 0, res.stderr
    text = res.stdout
    assert "-- CPU only\n" in text and "-- with the conv8x8 accelerator (verilator)" in text
    assert "[CPU only] output 0: bit-exact with the TFLite reference kernels (12 values)" in text
    assert "[accelerated] output 0: bit-exact with the TFLite reference kernels (12 values)" in text
    m = re.search(r"inference +([\d,]+) +([\d,]+) +([\d.]+)x", text)
    assert m and float(m.group(3)) > 2.0
    assert "-- cycles per function (CPU-only run" in text
    for name in ("kws_ops.png", "kws_timeline.json", "kws_cpu_profile.json", "kws.json"):
        assert (out / name).stat().st_size > 0, name
    data = json.loads((out / "kws.json").read_text())
    assert data["outputs_match_reference"] is True
    assert abs(data["speedup"] - float(m.group(3))) < 0.01  # the printed speedup is rounded
    assert [o["where"] for o in data["ops"] if o["op"] == "CONV_2D"] == ["accel"] * 5
    assert [o["where"] for o in data["ops"] if o["op"] == "DEPTHWISE_CONV_2D"] == ["accel"] * 4
    # progress of the long steps goes to stderr
    assert "building the runtime image" in res.stderr and "with conv8x8 in RTL" in res.stderr
