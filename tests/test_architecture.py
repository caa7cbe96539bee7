"""The shape of the package: imports run one way, and only skmg.fusion knows
the fusion strategies by name."""

import ast
from pathlib import Path

import pytest

from skmg.fusion import FUSIONS

PACKAGE = Path(__file__).resolve().parents[1] / "skmg"


def _module_name(path):
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {
    _module_name(path): path
    for path in PACKAGE.rglob("*.py")
    if path.name != "conftest.py"
}


def _resolve(module, node):
    """The absolute name of the module an ``ImportFrom`` node imports from."""
    if node.level == 0:
        return node.module
    package = module if MODULES[module].name == "__init__.py" else module
    base = package.split(".")
    if MODULES[module].name != "__init__.py":
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(module, top_level_only):
    """``(imported module, names)`` of the skmg imports of one module."""
    tree = ast.parse(MODULES[module].read_text())
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found = []
    for node in nodes:
        if isinstance(node, ast.ImportFrom):
            target = _resolve(module, node)
            if not target.startswith("skmg"):
                continue
            names = [alias.name for alias in node.names]
            # ``from . import fusion``: a submodule, not a name
            submodules = [f"{target}.{n}" for n in names if f"{target}.{n}" in MODULES]
            found.append((target, names))
            found.extend((sub, []) for sub in submodules)
        elif isinstance(node, ast.Import):
            found.extend(
                (alias.name, [])
                for alias in node.names
                if alias.name.startswith("skmg")
            )
    return found


def test_no_import_cycle():
    """The graph of module-level imports between skmg modules has no cycle."""
    graph = {
        module: {target for target, _ in _imports(module, True) if target in MODULES}
        for module in MODULES
    }
    state = {}

    def visit(module, path):
        state[module] = "open"
        for target in graph[module]:
            if state.get(target) == "open":
                cycle = path[path.index(target) :] + [target]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if target not in state:
                visit(target, path + [target])
        state[module] = "done"

    for module in graph:
        if module not in state:
            visit(module, [module])


def test_no_function_level_import_of_skmg():
    """No skmg module is imported inside a function (to hide a cycle)."""
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text())
        for func in ast.walk(tree):
            if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(func):
                if isinstance(node, ast.ImportFrom) and _resolve(
                    module, node
                ).startswith("skmg"):
                    pytest.fail(f"{module}.{func.name} imports skmg at call time")


@pytest.mark.parametrize(
    "module, forbidden",
    [
        ("skmg._base", ["skmg._estimators", "skmg.granularity"]),
        *[
            (module, ["skmg._plan", "skmg._levels", "skmg._base", "skmg._estimators"])
            for module in MODULES
            if module.startswith("skmg.fusion")
        ],
        ("skmg._outputs", [m for m in MODULES if m != "skmg._outputs"]),
    ],
)
def test_imports_run_one_way(module, forbidden):
    """The base imports neither the estimators nor the concrete views; the
    fusion strategies do not import the scheduler; _outputs is a leaf."""
    for target, _ in _imports(module, False):
        for name in forbidden:
            assert not (target == name or target.startswith(name + ".")), (
                f"{module} imports {target}"
            )


def test_inspection_reads_no_private_names_of_the_estimators():
    """Inspection uses the public attributes and the fusion protocol only."""
    for module in MODULES:
        if not module.startswith("skmg.inspection"):
            continue
        for target, names in _imports(module, False):
            if target in ("skmg._base", "skmg._estimators", "skmg._plan"):
                private = [n for n in names if n.startswith("_")]
                assert not private, f"{module} imports {private} from {target}"


def _string_constants(node):
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return set().union(*(_string_constants(e) for e in node.elts))
    return set()


def test_no_fusion_name_dispatch_outside_the_fusion_package():
    """Outside skmg.fusion, no code compares anything with a fusion name."""
    names = set(FUSIONS)
    for module, path in MODULES.items():
        if module.startswith("skmg.fusion"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Compare):
                compared = set().union(
                    *(_string_constants(n) for n in [node.left, *node.comparators])
                )
                assert not compared & names, (
                    f"{module}:{node.lineno} compares with {compared & names}"
                )


def _code_lines(function):
    """Lines of a function's code, its docstring left out."""
    lines = function.end_lineno - function.lineno + 1
    first = function.body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
        lines -= first.end_lineno - first.lineno + 1
    return lines


def test_no_function_is_longer_than_80_lines():
    """Every function of skmg fits on a screen: at most 80 lines of code."""
    long = [
        f"{module}.{node.name}: {_code_lines(node)} lines"
        for module, path in MODULES.items()
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and _code_lines(node) > 80
    ]
    assert not long, long


def test_the_base_of_the_meta_estimators_stays_small():
    """The meta-estimators' base orchestrates; the work lives in the modules
    it calls (at most 500 lines), and its fit is straight-line (about 60)."""
    path = MODULES["skmg._base"]
    assert len(path.read_text().splitlines()) <= 500
    fit = next(
        node
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.FunctionDef) and node.name == "fit"
    )
    assert _code_lines(fit) <= 60


def test_fit_reaches_a_branch_fit_in_four_hops():
    """From the meta-estimator's fit to a branch's fit: fit -> fit_levels ->
    run_plan -> the task -> the branch (skmg frames on the stack)."""
    import inspect

    import numpy as np
    from sklearn.naive_bayes import GaussianNB

    from skmg import MultiGranularityClassifier

    seen = []

    class Probe(GaussianNB):
        def fit(self, X, y, sample_weight=None):
            seen.append(
                [
                    frame.function
                    for frame in inspect.stack()[1:]
                    if frame.filename.startswith(str(PACKAGE))
                ]
            )
            return super().fit(X, y, sample_weight)

    X = np.random.RandomState(0).normal(size=(40, 3))
    y = np.arange(40) % 2
    MultiGranularityClassifier([("probe", Probe())], cv=2).fit(X, y)
    assert seen and all(
        frames == ["_fit_task", "run_plan", "fit_levels", "fit"] for frames in seen
    ), seen


def test_a_boosting_library_is_one_adapter_class():
    """An early-stopping adapter is recognised by the types it declares, and
    defining the class is all it takes to register it."""
    from sklearn.linear_model import SGDClassifier

    from skmg._early_stopping import _ADAPTERS, _Adapter, find_adapter

    assert find_adapter(SGDClassifier()) == (None, None)

    class _SGD(_Adapter):
        package = "sklearn.linear_model"
        model_types = ("SGDClassifier",)

    try:
        assert find_adapter(SGDClassifier())[0] is _SGD
    finally:
        _ADAPTERS.remove(_SGD)
    source = MODULES["skmg._early_stopping"].read_text()
    assert "hasattr(" not in source
