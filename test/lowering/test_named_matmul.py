"""Matrix products as the named `linalg.matmul` (convert-train-to-linalg):
which contractions are one, that a transposed operand is carried by the op's
`indexing_maps` through printing and parsing (xDSL 0.74 dropped them when
printing; `xdsl_fixes`), and that the named form, its text round trip and
its generalization compute A·B as numpy does, and a one-image convolution's
three products its forward and gradients as torch does. Upstream MLIR reads
the named form tdopt prints and generalizes it to the same maps as xDSL."""

from __future__ import annotations

import io

import numpy as np
import pytest
from xdsl.dialects.linalg import ops as linalg
from xdsl.dialects.builtin import ModuleOp
from xdsl.parser import Parser
from xdsl.printer import Printer

from tdopt.interpreter.program import run_program
from tdopt.lowering.kernel_builder import PARALLEL, REDUCTION, KernelBuilder, amap, d, memref
from tdopt.lowering.pipeline import run_pipeline
from tdopt.tools.context import make_context

M, K, N = 3, 5, 4


def _step(trans_a: bool, trans_b: bool) -> str:
    sa = (K, M) if trans_a else (M, K)
    sb = (N, K) if trans_b else (K, N)
    flags = ", ".join(f for f, on in (("trans_a", trans_a), ("trans_b", trans_b)) if on)
    props = f" {{{flags}}}" if flags else ""
    return (
        f"func.func @step(%a: tensor<{sa[0]}x{sa[1]}xf32>, %b: tensor<{sb[0]}x{sb[1]}xf32>) -> tensor<{M}x{N}xf32> {{\n"
        f"  %y = train.gemm %a, %b{props} : (tensor<{sa[0]}x{sa[1]}xf32>, tensor<{sb[0]}x{sb[1]}xf32>) -> tensor<{M}x{N}xf32>\n"
        "  func.return %y : tensor<{M}x{N}xf32>\n}\n".replace("{M}", str(M)).replace("{N}", str(N))
    )


def _text(module: ModuleOp) -> str:
    out = io.StringIO()
    Printer(stream=out).print_op(module)
    return out.getvalue()


def _lowered(trans_a: bool, trans_b: bool, passes: str = "convert-train-to-linalg") -> ModuleOp:
    ctx = make_context()
    module = Parser(ctx, _step(trans_a, trans_b)).parse_module()
    run_pipeline(ctx, module, passes)
    return module


def _matmuls(module: ModuleOp) -> list[linalg.MatmulOp]:
    return [o for o in module.walk() if isinstance(o, linalg.MatmulOp)]


def _operands(trans_a: bool, trans_b: bool) -> tuple[dict[str, np.ndarray], np.ndarray]:
    rng = np.random.default_rng(7)
    a = rng.standard_normal((M, K)).astype(np.float32)
    b = rng.standard_normal((K, N)).astype(np.float32)
    inputs = {"a": a.T.copy() if trans_a else a, "b": b.T.copy() if trans_b else b}
    return inputs, a @ b


def _output(outputs: dict[str, np.ndarray]) -> np.ndarray:
    (y,) = outputs.values()
    return y


TRANSPOSES = [(False, False), (True, False), (False, True), (True, True)]


@pytest.mark.parametrize("trans_a,trans_b", TRANSPOSES)
def test_gemm_is_a_named_matmul_that_computes_the_product(trans_a: bool, trans_b: bool) -> None:
    module = _lowered(trans_a, trans_b)
    (mm,) = _matmuls(module)
    a_map, b_map, out_map = (str(m.data) for m in mm.indexing_maps.data)
    assert a_map == ("(d0, d1, d2) -> (d2, d0)" if trans_a else "(d0, d1, d2) -> (d0, d2)")
    assert b_map == ("(d0, d1, d2) -> (d1, d2)" if trans_b else "(d0, d1, d2) -> (d2, d1)")
    assert out_map == "(d0, d1, d2) -> (d0, d1)"
    inputs, expected = _operands(trans_a, trans_b)
    np.testing.assert_allclose(_output(run_program(module, inputs)), expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("trans_a,trans_b", TRANSPOSES)
def test_printed_matmul_reads_back_with_its_transposes(trans_a: bool, trans_b: bool) -> None:
    text = _text(_lowered(trans_a, trans_b))
    transposed = trans_a or trans_b
    assert ("linalg.matmul indexing_maps = [" in text) == transposed
    back = Parser(make_context(), text).parse_module()
    back.verify()
    assert _text(back) == text
    inputs, expected = _operands(trans_a, trans_b)
    np.testing.assert_allclose(_output(run_program(back, inputs)), expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("trans_a,trans_b", TRANSPOSES)
def test_generalized_matmul_computes_the_product(trans_a: bool, trans_b: bool) -> None:
    module = _lowered(trans_a, trans_b, "convert-train-to-linalg,linalg-generalize-named-ops")
    assert not _matmuls(module)
    inputs, expected = _operands(trans_a, trans_b)
    np.testing.assert_allclose(_output(run_program(module, inputs)), expected, rtol=1e-5, atol=1e-5)


def test_only_products_of_two_matrices_are_named() -> None:
    # (m, k) x (k, n) with m = 1: its unit loop is pinned, a matrix-vector
    # product (no named op in xDSL); a batched product has a third loop
    kb = KernelBuilder("k", [memref((1, 4)), memref((1, 5)), memref((5, 4))])
    out, x, w = kb.args
    kb.contraction([x, w], [out], [amap(3, [d(0), d(2)]), amap(3, [d(2), d(1)]), amap(3, [d(0), d(1)])],
                   [PARALLEL, PARALLEL, REDUCTION])
    kb2 = KernelBuilder("k2", [memref((2, 3, 4)), memref((2, 3, 5)), memref((2, 5, 4))])
    out, x, w = kb2.args
    kb2.contraction([x, w], [out], [amap(4, [d(0), d(1), d(3)]), amap(4, [d(0), d(3), d(2)]),
                                    amap(4, [d(0), d(1), d(2)])], [PARALLEL] * 3 + [REDUCTION])
    for builder in (kb, kb2):
        ((f, _),) = builder.finish()
        ops = [o for o in f.body.block.ops if isinstance(o, (linalg.GenericOp, linalg.MatmulOp))]
        assert [type(o) for o in ops] == [linalg.GenericOp]


def test_upstream_reads_the_named_form_and_generalizes_it_alike() -> None:
    ir = pytest.importorskip("iree.compiler.ir", reason="upstream MLIR bindings not installed")
    from iree.compiler import passmanager

    module = _lowered(False, True)
    (mm,) = _matmuls(module)
    kernel = mm.parent_op()
    assert kernel is not None
    text = _text(ModuleOp([kernel.clone()]))
    with ir.Context() as ctx:
        ctx.allow_unregistered_dialects = True
        up = ir.Module.parse(text)
        assert up.operation.verify()
        passmanager.PassManager.parse("builtin.module(linalg-generalize-named-ops)").run(up.operation)
        upstream = str(up)
    ours = _lowered(False, True, "convert-train-to-linalg,linalg-generalize-named-ops")
    (g,) = [o for o in ours.walk() if isinstance(o, linalg.GenericOp) and len(o.inputs) == 2]
    # upstream prints the maps as aliases (#map, #map1, ...) in the header
    up_maps = [line.split(" = ", 1)[1] for line in upstream.splitlines() if line.startswith("#map")]
    assert up_maps == [f"affine_map<{m.data}>" for m in g.indexing_maps.data]


CONV_STEP = """
func.func @step(%x: tensor<1x2x5x5xf32>, %w: tensor<3x2x3x3xf32>, %dy: tensor<1x3x3x3xf32>) -> (tensor<1x3x3x3xf32>, tensor<3x2x3x3xf32>, tensor<1x2x5x5xf32>) {
  %y = train.conv2d %x, %w {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x2x5x5xf32>, tensor<3x2x3x3xf32>) -> tensor<1x3x3x3xf32>
  %dw = grad.conv2d_weight %x, %dy {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x2x5x5xf32>, tensor<1x3x3x3xf32>) -> tensor<3x2x3x3xf32>
  %dx = grad.conv2d_input %dy, %w {input_shape = array<i64: 1, 2, 5, 5>, strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x3x3x3xf32>, tensor<3x2x3x3xf32>) -> tensor<1x2x5x5xf32>
  func.return %y, %dw, %dx : tensor<1x3x3x3xf32>, tensor<3x2x3x3xf32>, tensor<1x2x5x5xf32>
}
"""


def test_one_image_convolution_products_are_named_and_match_torch() -> None:
    torch = pytest.importorskip("torch")
    ctx = make_context()
    module = Parser(ctx, CONV_STEP).parse_module()
    run_pipeline(ctx, module, "convert-train-to-linalg")
    # the forward product, the weight gradient's and the input gradient's
    assert len(_matmuls(module)) == 3
    rng = np.random.default_rng(3)
    x = rng.standard_normal((1, 2, 5, 5)).astype(np.float32)
    w = rng.standard_normal((3, 2, 3, 3)).astype(np.float32)
    dy = rng.standard_normal((1, 3, 3, 3)).astype(np.float32)
    out = run_program(module, {"x": x, "w": w, "dy": dy})
    tx = torch.tensor(x, requires_grad=True)
    tw = torch.tensor(w, requires_grad=True)
    ty = torch.nn.functional.conv2d(tx, tw, stride=2, padding=1)
    ty.backward(torch.tensor(dy))
    assert tx.grad is not None and tw.grad is not None
    for name, expected in (("result0", ty), ("result1", tw.grad), ("result2", tx.grad)):
        np.testing.assert_allclose(out[name], expected.detach().numpy(), rtol=1e-4, atol=1e-5)
