"""`tandem run --profile`, stack/heap in run's summary and JSON, and `tandem size`."""
from __future__ import annotations

import json
from pathlib import Path

from tandem.firmware.elf import ElfImage
from tests.schema_check import errors
from tests.test_cli import tandem

SCHEMA = json.loads((Path(__file__).parent / "data" / "speedscope-file-format-schema.json").read_text())


def test_run_profile_writes_speedscope_and_prints_top_table(build, tmp_path):
    elf = build("generic_m4", "tests/profile_calls.S")
    prof, out = tmp_path / "p.json", tmp_path / "r.json"
    res = tandem("run", "--board", "generic_m4", "--profile", str(prof), "--top", "4",
                 "--json", str(out), str(elf))
    assert res.returncode == 0, res.stderr
    rows = [line.split() for line in res.stderr.splitlines()]
    header = rows.index(["function", "self", "cycles", "self", "%", "inclusive", "calls"])
    assert rows[header + 1] == ["outer", "130", "39.5%", "190", "10"]
    assert rows[header + 2][:5] == ["main", "60", "18.2%", "250", "1"]
    assert rows[header + 3] == ["inner", "60", "18.2%", "60", "20"]
    assert f"profile written to {prof}" in res.stderr
    doc = json.loads(prof.read_text())
    assert errors(doc, SCHEMA) == []
    data = json.loads(out.read_text())
    assert sum(doc["profiles"][0]["weights"]) == data["cycles"] == 329
    assert data["stack_bytes"] == 24 and data["heap_bytes"] is None
    assert {f["name"]: f["calls"] for f in data["profile"]["functions"]}["inner"] == 20
    assert "; stack 24 B" in res.stderr


def test_run_without_profile_reports_stack_and_heap(build, tmp_path):
    elf = build("generic_m3", "tests/heap_sbrk.c")
    out = tmp_path / "r.json"
    res = tandem("run", "--board", "generic_m3", "--json", str(out), str(elf))
    assert res.returncode == 0, res.stderr
    assert "heap 128 B" in res.stderr and "self cycles" not in res.stderr
    data = json.loads(out.read_text())
    assert data["heap_bytes"] == 128 and data["stack_bytes"] > 0 and "profile" not in data


def test_size_sections_totals_and_symbols(build, tmp_path):
    elf = build("stm32f4_discovery", "tests/hello.c")
    out = tmp_path / "s.json"
    res = tandem("size", "--board", "stm32f4_discovery", "--top", "5", "--json", str(out), str(elf))
    assert res.returncode == 0, res.stderr
    data = json.loads(out.read_text())
    image = ElfImage.load(elf)
    secs = {s.name: s for s in image.sections if s.size}
    flash = sum(s.size for s in secs.values() if s.kind != "bss")
    ram = sum(s.size for s in secs.values() if s.kind in ("data", "bss"))
    mems = {m["name"]: m for m in data["memories"]}
    assert mems["flash"]["used"] == flash and mems["sram"]["used"] == ram
    assert mems["flash"]["size"] == 1 << 20
    assert abs(mems["sram"]["percent"] - 100 * ram / mems["sram"]["size"]) < 1e-9
    assert data["stack_reserve"] == 0x2000 and data["heap_reserve"] == 0x1000
    sizes = [s["size"] for s in data["symbols"]]
    assert sizes == sorted(sizes, reverse=True) and len(sizes) > 5
    lines = res.stdout.splitlines()
    assert any(line.split()[:2] == ["flash", f"{flash:,}"] for line in lines)
    listed = lines[lines.index(next(x for x in lines if x.startswith("largest symbols"))) + 2:]
    assert len(listed) == 5 and listed[0].split()[0] == data["symbols"][0]["name"]


def test_size_rejects_a_non_elf(tmp_path):
    bogus = tmp_path / "x.elf"
    bogus.write_bytes(b"not an elf")
    res = tandem("size", "--board", "bluepill", str(bogus))
    assert res.returncode == 2 and "not an ELF file" in res.stderr
