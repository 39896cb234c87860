"""Imports point one way: cli -> demo -> tasks -> runtime/convert/train -> io/weights -> optical_flow -> device/models -> vision -> errors.

Every import in the package (lazy ones inside functions too) is parsed; an import of a layer at or
above the importer's own (other than its own package) fails the test, so layering cannot rot.
"""

from __future__ import annotations

import ast
from pathlib import Path

import vidgen_cli

PACKAGE = Path(vidgen_cli.__file__).parent

# Higher imports lower only. Packages on the same level do not import each other.
LEVEL = {
    "cli": 90, "__main__": 95,
    "demo": 80,
    "interpolate": 70, "stylize": 70, "predict": 70, "motion": 70, "evaluate": 70,
    "convert": 60, "train": 60,
    "runtime": 50,
    "io": 40, "weights": 40,
    "optical_flow": 35,
    "device": 30, "models": 30,
    "vision": 20,
    "errors": 10,
    "": 0,  # vidgen_cli/__init__.py: the version only
}


def _unit(module: str) -> str:
    """'vidgen_cli.io.decode' -> 'io'; 'vidgen_cli' -> ''."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 and node.module.startswith("vidgen_cli"):
            if node.module == "vidgen_cli":  # from vidgen_cli import weights, __version__
                found += [(node.lineno, f"vidgen_cli.{a.name}") for a in node.names if a.name != "__version__"]
                if any(a.name == "__version__" for a in node.names):
                    found.append((node.lineno, "vidgen_cli"))
            else:
                found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("vidgen_cli")]
    return found


def test_every_unit_has_a_level():
    units = {p.stem if p.parent == PACKAGE else p.relative_to(PACKAGE).parts[0] for p in PACKAGE.rglob("*.py")}
    units = {"" if u == "__init__" else u for u in units}
    assert units <= set(LEVEL), f"give these a level in tests/test_layers.py: {sorted(units - set(LEVEL))}"


def test_imports_point_down():
    upward = []
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE)
        own = "" if rel.parts == ("__init__.py",) else (rel.parts[0] if len(rel.parts) > 1 else rel.stem)
        for line, module in _imports(path):
            target = _unit(module)
            if target == own:
                continue
            if LEVEL[target] >= LEVEL[own]:
                upward.append(f"{rel}:{line} imports {module} ({own or 'package'} {LEVEL[own]} -> {target} {LEVEL[target]})")
    assert not upward, "imports that point up or sideways:\n" + "\n".join(upward)


def test_the_checker_sees_a_violation(tmp_path):
    """The test above can fail: an upward import written to a file is found by the same parser."""
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from vidgen_cli.cli.app import main\n")
    assert [_unit(m) for _, m in _imports(bad)] == ["cli"]


def test_no_module_is_too_long():
    long = [f"{p.relative_to(PACKAGE)}: {n}" for p in PACKAGE.rglob("*.py") if (n := len(p.read_text().splitlines())) > 420]
    assert not long, f"split these modules (over about 400 lines): {long}"
