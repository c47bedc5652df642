"""Imports flow one way (issue 16): the target and the dialects at the
bottom, then analyses, the interpreter and the backend libraries (code
generation that several passes run, e.g. register allocation), then passes and lowerings, then
the tools; no import cycle between tdopt's modules (function-level imports
included), and the standard pipelines (`lowering/pipeline.py`) are known to
the tools only."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# top-level folder (or module) -> level; a module may import its own level
# or below
LEVELS = {
    "target": 0, "runtime": 0,
    "dialects": 1,
    "analyses": 2, "interpreter": 2, "backend": 2,
    "passes": 3, "lowering": 3, "frontend": 3,
    "tools": 4,
    "universe": 5,
}


def modules() -> dict[str, Path]:
    out = {}
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT)
        if rel.parts[0] in ("test", "examples", ".venv") or rel.parts[0].endswith(".egg-info"):
            continue
        name = ".".join(("tdopt", *rel.with_suffix("").parts)).removesuffix(".__init__")
        out[name] = path
    return out


def import_graph() -> dict[str, set[str]]:
    mods = modules()
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for name, path in mods.items():
        for node in ast.walk(ast.parse(path.read_text())):
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("tdopt"):
                for alias in node.names:
                    sub = f"{node.module}.{alias.name}"
                    targets.append(sub if sub in mods else node.module)
            elif isinstance(node, ast.Import):
                targets += [a.name for a in node.names if a.name.startswith("tdopt")]
            graph[name] |= {t for t in targets if t in mods and t != name}
    return graph


def level(module: str) -> int:
    parts = module.split(".")
    return LEVELS[parts[1]] if len(parts) > 1 else 0


def test_the_graph_is_read() -> None:
    graph = import_graph()
    assert "tdopt.analyses.tile_access" in graph["tdopt.passes.tier_tile_l1"]
    assert "tdopt.target" in graph["tdopt.lowering.pipeline"]


def test_imports_flow_one_way() -> None:
    wrong = [
        f"{a} (level {level(a)}) imports {b} (level {level(b)})"
        for a, bs in import_graph().items()
        for b in bs
        if level(b) > level(a)
    ]
    assert not wrong, "\n".join(sorted(wrong))


def test_only_tools_know_the_pipelines() -> None:
    wrong = [
        a for a, bs in import_graph().items()
        if "tdopt.lowering.pipeline" in bs and level(a) < LEVELS["tools"]
    ]
    assert not wrong, wrong


def test_lowerings_import_no_pass() -> None:
    """A conversion between levels knows the dialects, analyses and target
    below it, not a pass's helpers or the names of the globals a pass
    creates (those are the cluster and tier dialects')."""
    wrong = [
        f"{a} imports {b}" for a, bs in import_graph().items() if a.startswith("tdopt.lowering.")
        for b in bs if b.startswith("tdopt.passes.")
    ]
    assert not wrong, "\n".join(sorted(wrong))


def test_passes_import_no_other_pass() -> None:
    """A pass knows the dialects, analyses, the backend libraries and the
    target, not another pass: what two passes share lives below them
    (e.g. register allocation in `backend/`), and a pass that needs another
    one's result runs it by name (train-stats runs train-autodiff,
    strength reduction its `then`)."""

    def owner(module: str) -> str:
        return ".".join(module.split(".")[:3])  # tdopt.passes.X (a package: its modules)

    wrong = [
        f"{a} imports {b}" for a, bs in import_graph().items()
        if a.startswith("tdopt.passes.") and a != "tdopt.passes.registry"
        for b in bs if b.startswith("tdopt.passes.") and owner(b) != owner(a)
    ]
    assert not wrong, "\n".join(sorted(wrong))


def test_no_import_cycles() -> None:
    graph = import_graph()
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(path[path.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert not cycles, "\n".join(" -> ".join(c) for c in cycles)


def test_importing_the_compiler_changes_nothing_in_xdsl() -> None:
    """xDSL fixes are applied by the drivers (tools, the universe, a
    pipeline run), never as a side effect of importing a module: a fresh
    process that imports every pass, lowering and dialect module leaves
    xDSL as it is."""
    import subprocess
    import sys

    names = sorted(
        name for name, path in modules().items()
        if len(name.split(".")) > 1 and name.split(".")[1] in ("dialects", "analyses", "passes", "lowering", "frontend")
    )
    code = (
        "import importlib, sys\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        "from xdsl.pattern_rewriter import GreedyRewritePatternApplier\n"
        "from tdopt.lowering import xdsl_fixes\n"
        "assert not xdsl_fixes._applied\n"
        "assert not getattr(GreedyRewritePatternApplier.match_and_rewrite, '_tdopt', False)\n"
    )
    import os

    env = dict(os.environ)
    if ROOT.name == "tdopt":  # this checkout, also when another one is installed
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT.parent), env.get("PYTHONPATH")) if p)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr[-2000:]


# passes whose file does not follow the name (documented in docs/architecture.md)
NAMED_OTHERWISE = {
    "train-autodiff": "passes.autodiff",  # a package: the pass and its rules
}


def test_a_pass_lives_in_the_file_named_after_it() -> None:
    """`convert-A-to-B` in lowering/A_to_B.py, any other pass X-Y in
    passes/X_Y.py or lowering/X_Y.py (issue 16: a reader finds a pass's
    file from its name)."""
    from tdopt.passes.registry import LOWERING, RV32F, TRAINING

    wrong = []
    for name, target in {**TRAINING, **LOWERING, **RV32F}.items():
        module = target.split(":")[0]
        if name in NAMED_OTHERWISE:
            ok = module == NAMED_OTHERWISE[name]
        elif name.startswith("convert-"):
            ok = module == "lowering." + name.removeprefix("convert-").replace("-", "_")
        else:
            ok = module in (f"passes.{name.replace('-', '_')}", f"lowering.{name.replace('-', '_')}")
        if not ok:
            wrong.append(f"{name}: {module}")
    assert not wrong, wrong


def test_filecheck_tests_mirror_the_source_tree() -> None:
    """test/filecheck/<folder>/ for the source folders that have ops or
    passes (plus `inputs/` shared by them)."""
    folders = {p.name for p in (ROOT / "test" / "filecheck").iterdir() if p.is_dir() and p.name != "Output"}
    assert folders <= {"dialects", "passes", "lowering", "frontend", "tools", "inputs"}, folders
    for test in (ROOT / "test" / "filecheck" / "dialects").glob("*.mlir"):
        dialect = test.stem.split("_")[0]
        assert (ROOT / "dialects" / f"{dialect}.py").exists(), test.name
