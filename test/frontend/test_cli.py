"""The `tdimport` command line: files written, options, and every failure a
single `error: ...` line with a non-zero exit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper, save
from xdsl.context import Context
from xdsl.dialects.builtin import Builtin
from xdsl.dialects.func import Func
from xdsl.parser import Parser

from tdopt.dialects import train
from tdopt.interpreter.reference import run_function
from tdopt.tools.tdimport import main

RNG = np.random.default_rng(1)
W = RNG.standard_normal((4, 3)).astype(np.float32)
B = RNG.standard_normal(3).astype(np.float32)


def mlp(path: Path, extra_nodes=(), opset: int = 17) -> Path:
    """x[2,4] -> Gemm(w, b) -> Relu -> y[2,3] (plus extra nodes)."""
    g = helper.make_graph(
        [helper.make_node("Gemm", ["x", "fc.weight", "fc.bias"], ["h"], name="fc"),
         helper.make_node("Relu", ["h"], ["y"], name="act"), *extra_nodes],
        "mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 4])],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, None)
         for n in ["y", *[e.output[0] for e in extra_nodes]]],
        [numpy_helper.from_array(W, "fc.weight"), numpy_helper.from_array(B, "fc.bias")],
    )
    save(helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)]), str(path))
    return path


def parse(path: Path):
    ctx = Context()
    for d in (Builtin, Func, train.Train):
        ctx.load_dialect(d)
    return Parser(ctx, path.read_text(), str(path)).parse_module()


def params(module) -> dict[str, train.ParamOp]:
    return {op.param_name: op for op in module.walk() if isinstance(op, train.ParamOp)}


def fails(capsys, argv: list[str], *fragments: str) -> str:
    assert main(argv) != 0
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    for f in fragments:
        assert f in err, err
    return err


def test_writes_mlir_and_weights_beside_it(tmp_path: Path):
    onnx_path = mlp(tmp_path / "m.onnx")
    assert main([str(onnx_path), "-o", str(tmp_path / "out.mlir"), "--inline-threshold", "0"]) == 0
    module = parse(tmp_path / "out.mlir")
    assert module.attributes["train.weights"].data == "out.npz"
    weights = dict(np.load(tmp_path / "out.npz"))
    assert sorted(weights) == ["fc.bias", "fc.weight"]
    x = RNG.standard_normal((2, 4)).astype(np.float32)
    (y,) = run_function(module, {"x": x}, weights).values()
    np.testing.assert_allclose(y, np.maximum(x @ W + B, 0), rtol=1e-6, atol=1e-6)


def test_small_parameters_inline_and_stdout_without_weights(tmp_path: Path, capsys):
    onnx_path = mlp(tmp_path / "m.onnx")
    assert main([str(onnx_path), "--inline-threshold", "1000"]) == 0
    out = capsys.readouterr().out
    assert "train.weights" not in out and "@fc.weight trainable" not in out
    assert '@fc.weight = dense<' in out
    # with the default threshold the 48-byte weight is inline, nothing else to write
    assert main([str(onnx_path), "-o", str(tmp_path / "d.mlir")]) == 0
    assert not (tmp_path / "d.npz").exists()


@pytest.mark.parametrize("spec", ["fc.weight,fc.bias", "fc.*", "@LIST"])
def test_trainable_names_globs_and_files(tmp_path: Path, spec: str):
    onnx_path = mlp(tmp_path / "m.onnx")
    listing = tmp_path / "trainable.txt"
    listing.write_text("# trained\nfc.weight\nfc.bias  # the bias too\n")
    spec = spec.replace("LIST", str(listing))
    assert main([str(onnx_path), "-o", str(tmp_path / "t.mlir"), "--trainable", spec]) == 0
    ps = params(parse(tmp_path / "t.mlir"))
    assert {n for n, p in ps.items() if p.is_trainable} == {"fc.weight", "fc.bias"}


def test_loss_appends_label_input(tmp_path: Path):
    onnx_path = mlp(tmp_path / "m.onnx")
    for loss, label, want in [
        ("mse", np.ones((2, 3), np.float32), lambda y, t: ((y - t) ** 2).mean()),
        ("cross-entropy", np.array([2, 0], np.int64),
         lambda y, t: -(y - np.log(np.exp(y).sum(1, keepdims=True)))[np.arange(2), t].mean()),
    ]:
        out = tmp_path / f"{loss}.mlir"
        assert main([str(onnx_path), "-o", str(out), "--loss", loss, "--label", "target"]) == 0
        module = parse(out)
        x = RNG.standard_normal((2, 4)).astype(np.float32)
        got = run_function(module, {"x": x, "target": label}, {})
        assert list(got) == ["loss"]
        np.testing.assert_allclose(got["loss"], want(np.maximum(x @ W + B, 0), label), rtol=1e-5)


def test_unsupported_nodes_are_listed_together(tmp_path: Path, capsys):
    extra = [helper.make_node("Hardmax", ["y"], ["e"], name="hmax0"),
             helper.make_node("LpNormalization", ["e"], ["s"], name="lpn1"),
             helper.make_node("Fancy", ["y"], ["f"], name="fancy2", domain="com.example")]
    onnx_path = mlp(tmp_path / "m.onnx", extra)
    fails(capsys, [str(onnx_path), "-o", str(tmp_path / "x.mlir")],
          "3 ONNX node(s)", "'hmax0' (Hardmax, domain ai.onnx)", "'lpn1' (LpNormalization, domain ai.onnx)",
          "'fancy2' (Fancy, domain com.example)")
    assert not (tmp_path / "x.mlir").exists()


@pytest.mark.parametrize("argv, fragments", [
    (["MISSING.onnx"], ["no such file"]),
    (["M", "--loss", "mse"], ["--label"]),
    (["M", "--label", "t"], ["--loss"]),
    (["M", "--loss", "hinge", "--label", "t"], ["invalid choice"]),
    (["M", "--trainable", "nope"], ["no parameter named 'nope'"]),
    (["M", "--trainable", "conv*"], ["matches no parameter"]),
    (["M", "--trainable", "@missing.txt"], ["no such file"]),
    (["M", "--inline-threshold", "0"], ["-o is needed"]),
    (["M", "--inline-threshold", "-1"], [">= 0"]),
    (["M", "--loss", "cross-entropy", "--label", "x"], ["already has a tensor named 'x'"]),
    (["--bogus"], ["unrecognized arguments"]),
])
def test_command_line_errors(tmp_path: Path, capsys, argv: list[str], fragments: list[str]):
    onnx_path = mlp(tmp_path / "m.onnx")
    argv = [str(onnx_path) if a == "M" else a for a in argv]
    if argv == ["--bogus"]:
        argv = [str(onnx_path), "--bogus"]
    fails(capsys, argv, *fragments)


def test_dynamic_shapes_and_opsets_are_diagnosed(tmp_path: Path, capsys):
    g = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), str(tmp_path / "d.onnx"))
    fails(capsys, [str(tmp_path / "d.onnx")], "dynamic dimension ('N')")
    fails(capsys, [str(mlp(tmp_path / "old.onnx", opset=6))], "opset 6")
    (tmp_path / "junk.onnx").write_bytes(b"not a model")
    fails(capsys, [str(tmp_path / "junk.onnx")], "not a readable ONNX model")


def test_runs_as_a_module(tmp_path: Path):
    onnx_path = mlp(tmp_path / "m.onnx")
    p = subprocess.run([sys.executable, "-m", "tdopt.tools.tdimport", str(onnx_path), "--trainable", "x"],
                       capture_output=True, text=True)
    assert p.returncode == 1 and p.stderr.startswith("error: ") and p.stderr.count("\n") == 1


def test_output_paths_never_replace_the_model(tmp_path: Path, capsys) -> None:
    onnx_path = mlp(tmp_path / "m.onnx")
    before = onnx_path.read_bytes()
    fails(capsys, [str(onnx_path), "-o", str(onnx_path)], "give a path ending in .mlir")
    fails(capsys, [str(onnx_path), "-o", str(tmp_path / "w.npz")], "give a path ending in .mlir")
    fails(capsys, [str(onnx_path), "-o", str(tmp_path / "missing" / "a.mlir")], "does not exist")
    # a model named like the weights file the import would write
    as_npz = tmp_path / "n.npz"
    as_npz.write_bytes(before)
    fails(capsys, [str(as_npz), "-o", str(tmp_path / "n.mlir")], "the weights would overwrite the model")
    assert onnx_path.read_bytes() == before and as_npz.read_bytes() == before
    assert not (tmp_path / "n.mlir").exists()
