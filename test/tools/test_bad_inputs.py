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


# --- 2. one place for expected failures ------------------------------------------

MODULE = """\
builtin.module attributes {train.weights = "w.npz"} {
  func.func @main(%x: tensor<2x3xf32>, %t: tensor<2x4xf32>) -> tensor<f32> {
    %w = train.param @w trainable : tensor<3x4xf32>
    %y = train.matmul %x, %w : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
    %l = train.mse %y, %t : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<f32>
    func.return %l : tensor<f32>
  }
}
"""


def write_model(folder: Path, weights=None) -> Path:
    import numpy as np

    rng = np.random.default_rng(0)
    path = folder / "m.mlir"
    path.write_text(MODULE)
    np.savez(folder / "w.npz", w=rng.standard_normal((3, 4)).astype(np.float32) if weights is None else weights)
    np.savez(folder / "in.npz", x=rng.standard_normal((2, 3)).astype(np.float32),
             t=rng.standard_normal((2, 4)).astype(np.float32))
    return path


def test_value_errors_are_not_bad_pipelines(tmp_path: Path) -> None:
    import numpy as np

    m = write_model(tmp_path, np.array([["a"] * 4] * 3))
    # string weights: the array and its dtype, at the parameter
    for p in (tool("tdopt", m), tool("tdopt", m, "-p", "train-autodiff"),
              tool("tdrun", m, "--reference", "--inputs", tmp_path / "in.npz")):
        err = fails(p, "m.mlir:3:5", "parameter @w", "dtype <U1 (strings)", "expected numbers")
        assert "bad pass pipeline" not in err
    # bytes that are not UTF-8: the file and where
    bad = tmp_path / "bad.mlir"
    bad.write_bytes(b"func.func @f() {\n  // caf\xe9\n  func.return\n}\n")
    for p in (tool("tdopt", bad), tool("tdopt", bad, "-p", "canonicalize"),
              tool("tdrun", bad, "--reference")):
        err = fails(p, "bad.mlir:2:9: error: not UTF-8 text (byte 0xe9)")
        assert "bad pass pipeline" not in err
    # what really is a bad pipeline still says so
    write_model(tmp_path)
    fails(tool("tdopt", m, "-p", "no-such-pass"), "bad pass pipeline", "no-such-pass")
    fails(tool("tdopt", m, "-p", "train-sgd{lr=x}"), "bad pass pipeline")
