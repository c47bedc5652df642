"""Bad input to the command-line tools, as a careless user gives it
(issue 14): each case is one diagnostic naming what is wrong and what is
accepted, a non-zero exit, never a traceback, an "internal compiler error",
a hang or a lost file. The tools run as subprocesses, as a user runs them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from onnx import TensorProto, helper, save

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT.parent)}


def tool(name: str, *argv: str, cwd: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", f"tdopt.tools.{name}", *map(str, argv)],
        capture_output=True, text=True, env=ENV, cwd=cwd, timeout=timeout,
    )


def fails(p: subprocess.CompletedProcess, *fragments: str) -> str:
    """The run failed with a diagnostic holding every fragment."""
    err = p.stderr
    assert p.returncode != 0, (p.stdout, err)
    assert "error: " in err, err
    for bad in ("Traceback", "internal compiler error", "internal error"):
        assert bad not in err, err
    for f in fragments:
        assert f in err, err
    return err


# --- 1. cycles in ONNX graphs -------------------------------------------------


def test_onnx_graph_with_a_cycle_is_a_diagnostic_naming_its_nodes(tmp_path: Path) -> None:
    # x -> first(Add x, c) -a-> second -b-> third -c-> first: a cycle
    g = helper.make_graph(
        [helper.make_node("Add", ["x", "c"], ["a"], name="first"),
         helper.make_node("Relu", ["a"], ["b"], name="second"),
         helper.make_node("Relu", ["b"], ["c"], name="third"),
         helper.make_node("Relu", ["b"], ["y"], name="out")],
        "cyc", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])])
    save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), str(tmp_path / "c.onnx"))
    err = fails(tool("tdimport", tmp_path / "c.onnx", "-o", tmp_path / "c.mlir", timeout=60),
                "has a cycle", "'first' (Add) -[a]->", "'second' (Relu) -[b]->",
                "'third' (Relu) -[c]->")
    assert "'out'" not in err  # a node reading the cycle is not part of it
    assert not (tmp_path / "c.mlir").exists()
    # a self-loop
    g = helper.make_graph(
        [helper.make_node("Add", ["x", "s"], ["s"], name="self"),
         helper.make_node("Relu", ["s"], ["y"], name="out")],
        "loop", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])])
    save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), str(tmp_path / "s.onnx"))
    fails(tool("tdimport", tmp_path / "s.onnx", timeout=60), "has a cycle", "'self' (Add) -[s]-> 'self'")
