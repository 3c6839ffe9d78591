"""The package's house rules (ARCHITECTURE.md), checked on every module's imports:

1. `_checks` imports only NumPy (and the standard library).
2. `engine` imports NumPy, SciPy, threadpoolctl, `_checks` and itself; Keras/TensorFlow only inside
   twin functions (their names say "keras") or in `engine/twins.py`, never at module top.
3. `lab` imports `engine` and `_checks`; never another lab module, never `book`, never `plots`.
4. No lib module imports `plots` (notebooks do).
5. `book` imports neither `engine`, `lab` nor `plots`.
6. Nothing in `lib/` imports `tools/`.
And `import nnbook` (or any wing) never imports Keras, TensorFlow or matplotlib.
"""

import ast
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
LIB = ROOT / "lib"
STDLIB = set(sys.stdlib_module_names)


def _module_name(path):
    parts = path.relative_to(LIB).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted((LIB / "nnbook").rglob("*.py"))}


def _imports(path):
    """(imported module, top-level?, enclosing function name) for every import in `path`."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text())
    found = []

    def visit(node, function):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                visit(child, child.name)
                continue
            if isinstance(child, ast.Import):
                found.extend((a.name, function is None, function) for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")
                    base = base[:len(base) - child.level + 1]
                    target = ".".join(base + ([child.module] if child.module else []))
                else:
                    target = child.module
                for alias in child.names:  # `from . import x` imports module x when it is one
                    sub = f"{target}.{alias.name}"
                    found.append((sub if sub in MODULES else target, function is None, function))
            visit(child, function)

    visit(tree, None)
    return found


def _wing(module):
    parts = module.split(".")
    if parts[0] != "nnbook":
        return parts[0]
    return parts[1] if len(parts) > 1 else "nnbook"


def _problems():
    for module, path in MODULES.items():
        wing = _wing(module)
        for target, top, function in _imports(path):
            root, twing = target.split(".")[0], _wing(target)
            if root in STDLIB:
                continue
            if root == "tools":
                yield f"{module} imports {target}: nothing in lib/ imports tools/"
            if twing == "plots" and module != "nnbook.plots":
                yield f"{module} imports nnbook.plots: no lib module draws"
            if wing == "_checks" and root != "numpy":
                yield f"{module} imports {target}: _checks imports NumPy only"
            if wing == "engine":
                if root in ("keras", "tensorflow"):
                    if top or not ("keras" in function or module == "nnbook.engine.twins"
                                   or function in ("gradients", "fit_same_batches")):
                        yield f"{module} imports {target} in {function or 'the module'}: Keras " \
                              "only inside twin functions"
                elif root == "nnbook":
                    if twing not in ("engine", "_checks"):
                        yield f"{module} imports {target}: the engine imports only itself and _checks"
                elif top and root not in ("numpy", "scipy", "threadpoolctl"):
                    yield f"{module} imports {target} at module top"
            if wing == "lab":
                if root in ("keras", "tensorflow", "matplotlib") and top:
                    yield f"{module} imports {target} at module top"
                if root == "nnbook" and twing not in ("engine", "_checks"):
                    if twing == "lab" and target != module:
                        yield f"{module} imports {target}: a lab module never imports another"
                    elif twing != "lab":
                        yield f"{module} imports {target}: lab stands on the engine alone"
            if wing == "book" and twing in ("engine", "lab", "plots"):
                yield f"{module} imports {target}: book knows no subject"


def test_the_wings_exist():
    wings = {_wing(m) for m in MODULES}
    assert {"engine", "lab", "book", "plots", "_checks"} <= wings, wings
    assert (ROOT / "tools" / "nbsync.py").is_file()


def test_import_rules_hold():
    assert list(_problems()) == []


def test_the_rule_checker_catches_a_violation(tmp_path, monkeypatch):
    bad = LIB / "nnbook" / "lab" / "_probe_violation.py"
    bad.write_text("import keras\nfrom . import neuron\nfrom ..book import data\n")
    try:
        MODULES["nnbook.lab._probe_violation"] = bad
        found = list(_problems())
    finally:
        del MODULES["nnbook.lab._probe_violation"]
        bad.unlink()
    assert any("keras at module top" in p for p in found)
    assert any("never imports another" in p for p in found)
    assert any("on the engine alone" in p for p in found)


@pytest.mark.parametrize("modules", ["nnbook", "nnbook.engine",
                                     "nnbook.lab.neuron, nnbook.lab.perceptron, nnbook.lab.deep_stacks, "
                                     "nnbook.lab.autodiff, nnbook.lab.surfaces, nnbook.lab.tuning"])
def test_importing_the_package_imports_no_keras(modules):
    code = (f"import sys, {modules}\n"
            "heavy = [m for m in ('keras', 'tensorflow', 'matplotlib') if m in sys.modules]\n"
            "print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_pyproject_lists_what_the_package_imports_at_module_top():
    import tomllib

    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    declared = {d.split(">")[0].split("=")[0].split("<")[0].strip().lower() for d in deps}
    pip_names = {"ipywidgets": "ipywidgets", "pygments": "pygments"}
    needed = set()
    for path in MODULES.values():
        for target, top, _ in _imports(path):
            root = target.split(".")[0]
            if top and root not in STDLIB and root != "nnbook":
                needed.add(pip_names.get(root, root).lower())
    assert needed <= declared, needed - declared


def test_checks_give_clear_errors_for_ragged_lists_and_a_missing_dtype():
    from nnbook import _checks

    with pytest.raises(ValueError, match="rectangular array of numbers"):
        _checks.as_float_array([[1, 2], [3]], "x")
    with pytest.raises(TypeError, match="dtype must be float32 or float64, got None"):
        _checks.float_dtype(None)
    assert _checks.number_in(np.float32(0.5), "p", 0, 1) == 0.5
    with pytest.raises(TypeError, match="must be a number"):
        _checks.number_in(True, "p")
