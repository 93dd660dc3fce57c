"""The package's shape, as docs/architecture.md draws it: arrows point down, modules stay small.

Every ``import tandem...`` in ``sim/`` (module level or inside a function) is checked against the
layer table below; a module may import from its own folder or from a lower layer only. The table
is the one in docs/architecture.md.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

SIM = Path(__file__).resolve().parent.parent / "sim"
MAX_LINES = 540  # "about 500"; board.py sits near it (its run loop is the next thing to move out)

# folder (or top-level module) -> layer; higher layers may import lower ones, never the reverse
LAYERS = {
    "config": 0, "errors": 0, "files": 0,
    "reference": 1, "platform": 1,
    "accel": 2,
    "firmware": 3, "timing": 3, "rtlsim": 3,
    "core": 4, "reports": 4,
    "peripherals": 5,
    "machine": 6,
    "cosim": 7, "debug": 7, "renode": 7,
    "tinyml": 8,
    "aot": 9, "sweep": 9,
    "cli": 10, "pytest_plugin": 10, "__init__": 10, "__main__": 10,
}


def _unit(module: str) -> str:
    """``tandem.machine.board`` -> ``machine``; ``tandem`` -> ``__init__``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _modules() -> list[tuple[str, Path]]:
    out = []
    for path in sorted(SIM.rglob("*.py")):
        rel = path.relative_to(SIM).with_suffix("")
        parts = [p for p in rel.parts if p != "__init__"] if rel.parts[-1] == "__init__" else list(rel.parts)
        name = ".".join(["tandem", *parts]) if parts else "tandem"
        if rel.parts == ("__init__",):
            name = "tandem"
        out.append((name, path))
    return out


def _imports(path: Path, module: str) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), str(path))
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.split(".")[0] == "tandem"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] == "tandem":
                # `from pkg import mod` imports the module pkg.mod, not a name of pkg's namespace
                subs = [f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in _NAMES]
                found += [(node.lineno, s) for s in subs]
                if len(subs) < len(node.names):
                    found.append((node.lineno, target))
    return found


MODULES = _modules()
_NAMES = {name for name, _ in MODULES}


def test_every_folder_has_a_layer() -> None:
    units = {_unit(name) for name, _ in MODULES}
    assert units - set(LAYERS) == set(), "add the new folder to LAYERS and to docs/architecture.md"


def test_imports_point_down() -> None:
    wrong = []
    for name, path in MODULES:
        own = _unit(name)
        for line, target in _imports(path, name):
            other = _unit(target)
            if other == own or other not in LAYERS:
                continue
            if LAYERS[other] > LAYERS[own]:
                wrong.append(f"{path.relative_to(SIM.parent)}:{line}: {own} (layer {LAYERS[own]}) imports "
                             f"{target} (layer {LAYERS[other]})")
    assert wrong == []


def test_no_import_cycle_between_modules() -> None:
    names = {n for n, _ in MODULES}
    graph = {n: {t for _, t in _imports(p, n) if t in names and t != n} for n, p in MODULES}
    # packages count as importing nothing themselves: their __init__ re-exports are checked above
    state: dict[str, int] = {}
    cycle: list[str] = []

    def visit(n: str, stack: list[str]) -> bool:
        state[n] = 1
        for m in sorted(graph[n]):
            if state.get(m) == 1:
                cycle.extend(stack[stack.index(m):] + [n, m] if m in stack else [n, m])
                return True
            if m not in state and visit(m, [*stack, n]):
                return True
        state[n] = 2
        return False

    for n in sorted(graph):
        if n not in state and visit(n, []):
            break
    assert cycle == [], " -> ".join(cycle)


@pytest.mark.parametrize("name,path", MODULES, ids=[n for n, _ in MODULES])
def test_module_is_small_and_says_what_it_is_for(name: str, path: Path) -> None:
    text = path.read_text()
    lines = text.count("\n")
    assert lines <= MAX_LINES, f"{path.relative_to(SIM.parent)} has {lines} lines (limit {MAX_LINES})"
    if path.name != "__main__.py":
        assert ast.get_docstring(ast.parse(text)), f"{path.relative_to(SIM.parent)} has no module docstring"
