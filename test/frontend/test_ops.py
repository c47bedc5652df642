"""Op by op: small ONNX graphs imported and interpreted, checked against
ONNX's own reference implementation (onnx.reference), across the opset
forms the importer handles (axes as attribute or input, the pre-13
Softmax, auto_pad, 1-D pooling, ...)."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

from tdopt.frontend.onnx import ImportFailure, import_onnx

RNG = np.random.default_rng(0)


def rand(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape).astype(np.float32)


def model(nodes, inputs: dict[str, np.ndarray], out_name: str = "y", opset: int = 17,
          inits: dict[str, np.ndarray] | None = None, ms: bool = False):
    g = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, list(v.shape)) for n, v in inputs.items()],
        [helper.make_tensor_value_info(out_name, TensorProto.FLOAT, None)],
        [numpy_helper.from_array(v, n) for n, v in (inits or {}).items()],
    )
    ops = [helper.make_opsetid("", opset)] + ([helper.make_opsetid("com.microsoft", 1)] if ms else [])
    return helper.make_model(g, opset_imports=ops)


def check(m, inputs: dict[str, np.ndarray], expected: np.ndarray | None = None, run_module=None):
    if expected is None:
        (expected,) = ReferenceEvaluator(m).run(None, inputs)
    result = import_onnx(m)
    (got,) = run_module(result, inputs).values()
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


N = helper.make_node
CASES = {
    "softmax-opset13-axis": ([N("Softmax", ["x"], ["y"], axis=1)], {"x": rand(2, 3, 4)}, 13, {}),
    "squeeze-axes-attribute": ([N("Squeeze", ["x"], ["y"], axes=[0, 2])], {"x": rand(1, 3, 1, 2)}, 11, {}),
    "squeeze-axes-input": (
        [N("Squeeze", ["x", "a"], ["y"])], {"x": rand(1, 3, 1, 2)}, 13, {"a": np.array([2], np.int64)}),
    "squeeze-all": ([N("Squeeze", ["x"], ["y"])], {"x": rand(1, 3, 1, 2)}, 13, {}),
    "unsqueeze-input": (
        [N("Unsqueeze", ["x", "a"], ["y"])], {"x": rand(3, 2)}, 13, {"a": np.array([0, -1], np.int64)}),
    "reducesum-attribute": ([N("ReduceSum", ["x"], ["y"], axes=[1], keepdims=0)], {"x": rand(2, 3, 4)}, 11, {}),
    "reducesum-input": (
        [N("ReduceSum", ["x", "a"], ["y"], keepdims=1)], {"x": rand(2, 3, 4)}, 13, {"a": np.array([-1, 0], np.int64)}),
    "reducemean-all": ([N("ReduceMean", ["x"], ["y"], keepdims=0)], {"x": rand(2, 3)}, 18, {}),
    "conv-same-upper-stride": (
        [N("Conv", ["x", "w", "b"], ["y"], auto_pad="SAME_UPPER", strides=[2, 2])],
        {"x": rand(1, 2, 7, 6)}, 17, {"w": rand(4, 2, 3, 3), "b": rand(4)}),
    "conv-1d-dilated": (
        [N("Conv", ["x", "w"], ["y"], pads=[1, 2], dilations=[2])], {"x": rand(1, 2, 9)}, 17, {"w": rand(3, 2, 3)}),
    "maxpool-1d": ([N("MaxPool", ["x"], ["y"], kernel_shape=[3], strides=[2], pads=[1, 1])], {"x": rand(1, 2, 9)}, 12, {}),
    "averagepool-2d": ([N("AveragePool", ["x"], ["y"], kernel_shape=[2, 3], strides=[1, 2])], {"x": rand(1, 3, 5, 7)}, 17, {}),
    "global-pools": (
        [N("GlobalAveragePool", ["x"], ["a"]), N("GlobalMaxPool", ["x"], ["m"]), N("Add", ["a", "m"], ["y"])],
        {"x": rand(2, 3, 4, 5)}, 17, {}),
    "gemm-trans-alpha-beta": (
        [N("Gemm", ["x", "w", "c"], ["y"], transA=1, transB=1, alpha=0.5, beta=2.0)],
        {"x": rand(4, 3)}, 13, {"w": rand(5, 4), "c": rand(5)}),
    "gelu-opset20-tanh": ([N("Gelu", ["x"], ["y"], approximate="tanh")], {"x": rand(3, 4)}, 20, {}),
    "layernorm-axis": (
        [N("LayerNormalization", ["x", "s", "b"], ["y"], axis=1, epsilon=1e-3)],
        {"x": rand(2, 3, 4)}, 17, {"s": rand(3, 4), "b": rand(3, 4)}),
    "reshape-zero-and-minus-one": (
        [N("Reshape", ["x", "s"], ["y"])], {"x": rand(2, 3, 4)}, 14, {"s": np.array([0, -1], np.int64)}),
    "flatten-transpose-concat": (
        [N("Flatten", ["x"], ["f"], axis=2), N("Transpose", ["f"], ["t"]), N("Concat", ["t", "t"], ["y"], axis=0)],
        {"x": rand(2, 3, 4)}, 13, {}),
    "pow-scalar-sqrt-div-sub": (
        [N("Pow", ["x", "e"], ["p"]), N("Sqrt", ["p"], ["s"]), N("Sub", ["s", "x"], ["d"]), N("Div", ["d", "s"], ["y"])],
        {"x": rand(3, 4)}, 13, {"e": np.array(2.0, np.float32)}),
    "constant-and-identity": (
        [N("Constant", [], ["c"], value_floats=[1.0, 2.0]), N("Identity", ["c"], ["i"]), N("Mul", ["x", "i"], ["y"])],
        {"x": rand(3, 2)}, 13, {}),
    "groupnorm-opset21-per-channel": (
        [N("GroupNormalization", ["x", "s", "b"], ["y"], num_groups=2, epsilon=1e-3)],
        {"x": rand(2, 4, 3, 2)}, 21, {"s": rand(4), "b": rand(4)}),
    "groupnorm-opset18-per-group": (
        [N("GroupNormalization", ["x", "s", "b"], ["y"], num_groups=2)],
        {"x": rand(2, 4, 3, 2)}, 18, {"s": rand(2), "b": rand(2)}),
    "instancenorm": (
        [N("InstanceNormalization", ["x", "s", "b"], ["y"])], {"x": rand(2, 3, 5)}, 17, {"s": rand(3), "b": rand(3)}),
    "shape-arithmetic-folded": (
        [N("Shape", ["x"], ["s"]), N("Gather", ["s", "zero"], ["n"]), N("Unsqueeze", ["n", "zero1"], ["n1"]),
         N("Concat", ["n1", "minus1"], ["shape"], axis=0), N("Reshape", ["x", "shape"], ["y"])],
        {"x": rand(2, 3, 4)}, 13,
        {"zero": np.array(0, np.int64), "zero1": np.array([0], np.int64), "minus1": np.array([-1], np.int64)}),
}


# activations, elementwise math, Max / Min, ReduceMax
_F = helper.make_tensor
CASES.update({
    "sigmoid-tanh-exp-log-neg-erf": (
        [N("Sigmoid", ["x"], ["s"]), N("Tanh", ["s"], ["t"]), N("Exp", ["t"], ["e"]), N("Log", ["e"], ["l"]),
         N("Neg", ["l"], ["n"]), N("Erf", ["n"], ["y"])], {"x": rand(3, 4)}, 13, {}),
    "hardsigmoid-defaults": ([N("HardSigmoid", ["x"], ["y"])], {"x": rand(3, 4) * 4}, 13, {}),
    "hardsigmoid-alpha-beta": ([N("HardSigmoid", ["x"], ["y"], alpha=1 / 6, beta=0.4)], {"x": rand(3, 4) * 4}, 13, {}),
    "hardswish": ([N("HardSwish", ["x"], ["y"])], {"x": rand(2, 5) * 4}, 14, {}),
    "leakyrelu-default": ([N("LeakyRelu", ["x"], ["y"])], {"x": rand(2, 5)}, 13, {}),
    "leakyrelu-alpha": ([N("LeakyRelu", ["x"], ["y"], alpha=0.3)], {"x": rand(2, 5)}, 13, {}),
    "clip-inputs": ([N("Clip", ["x", "lo", "hi"], ["y"])], {"x": rand(3, 4)}, 13,
                    {"lo": np.array(-0.5, np.float32), "hi": np.array(0.6, np.float32)}),
    "clip-max-only-input": ([N("Clip", ["x", "", "hi"], ["y"])], {"x": rand(3, 4)}, 13, {"hi": np.array(0.1, np.float32)}),
    "clip-min-only-input": ([N("Clip", ["x", "lo"], ["y"])], {"x": rand(3, 4)}, 12, {"lo": np.array(-0.2, np.float32)}),
    "clip-no-bounds": ([N("Clip", ["x"], ["y"])], {"x": rand(3, 4)}, 13, {}),
    "clip-constant-node-bounds": (
        [N("Constant", [], ["lo"], value=_F("lo", TensorProto.FLOAT, [], [0.0])),
         N("Constant", [], ["hi"], value=_F("hi", TensorProto.FLOAT, [], [6.0])),
         N("Clip", ["x", "lo", "hi"], ["y"])], {"x": rand(3, 4) * 5}, 13, {}),
    "clip-attributes-opset10": ([N("Clip", ["x"], ["y"], min=-0.4, max=0.3)], {"x": rand(3, 4)}, 10, {}),
    "clip-attribute-min-opset10": ([N("Clip", ["x"], ["y"], min=-0.4)], {"x": rand(3, 4)}, 10, {}),
    "ceil-floor": ([N("Ceil", ["x"], ["c"]), N("Floor", ["x"], ["f"]), N("Add", ["c", "f"], ["y"])],
                   {"x": rand(3, 4) * 3}, 13, {}),
    "softplus": ([N("Softplus", ["x"], ["y"])], {"x": rand(3, 4) * 5}, 13, {}),
    "silu-as-exported": ([N("Sigmoid", ["x"], ["s"]), N("Mul", ["x", "s"], ["y"])], {"x": rand(3, 4)}, 17, {}),
    "swish-opset24-alpha": ([N("Swish", ["x"], ["y"], alpha=1.1)], {"x": rand(3, 4) * 3}, 24, {}),
    "max-broadcast": ([N("Max", ["x", "w"], ["y"])], {"x": rand(3, 4)}, 13, {"w": rand(4)}),
    "min-three-inputs": ([N("Min", ["x", "w", "v"], ["y"])], {"x": rand(3, 4)}, 13, {"w": rand(4), "v": rand(3, 1)}),
    "max-single-input": ([N("Max", ["x"], ["m"]), N("Neg", ["m"], ["y"])], {"x": rand(3, 4)}, 13, {}),
    "reducemax-attribute": ([N("ReduceMax", ["x"], ["y"], axes=[1], keepdims=0)], {"x": rand(2, 3, 4)}, 13, {}),
    "reducemax-input-opset18": (
        [N("ReduceMax", ["x", "a"], ["y"], keepdims=1)], {"x": rand(2, 3, 4)}, 18, {"a": np.array([-1, 0], np.int64)}),
    "reducemax-all": ([N("ReduceMax", ["x"], ["y"], keepdims=0)], {"x": rand(2, 3)}, 18, {}),
})

@pytest.mark.parametrize("name", sorted(CASES))
def test_op(name: str, run_module):
    nodes, inputs, opset, inits = CASES[name]
    check(model(nodes, inputs, opset=opset, inits=inits), inputs, run_module=run_module)


def test_softmax_before_opset13_flattens_at_axis(run_module):
    # onnx.reference applies the opset-13 meaning to every version, hence numpy
    x = rand(2, 3, 4)
    flat = x.reshape(2, 12)
    e = np.exp(flat - flat.max(axis=1, keepdims=True))
    want = (e / e.sum(axis=1, keepdims=True)).reshape(2, 3, 4)
    check(model([N("Softmax", ["x"], ["y"], axis=1)], {"x": x}, opset=11), {"x": x}, want, run_module)


def test_microsoft_gelus(run_module):
    x, b = rand(2, 5), rand(5)
    erf_gelu = ReferenceEvaluator(model([N("Gelu", ["x"], ["y"])], {"x": x + b}, opset=20)).run(None, {"x": x + b})[0]
    tanh_gelu = ReferenceEvaluator(
        model([N("Gelu", ["x"], ["y"], approximate="tanh")], {"x": x + b}, opset=20)).run(None, {"x": x + b})[0]
    for op, want in (("Gelu", None), ("BiasGelu", erf_gelu), ("FastGelu", tanh_gelu)):
        ins = ["x"] if op == "Gelu" else ["x", "b"]
        m = model([N(op, ins, ["y"], domain="com.microsoft")], {"x": x}, opset=13,
                  inits={"b": b} if op != "Gelu" else None, ms=True)
        if want is None:
            want = ReferenceEvaluator(model([N("Gelu", ["x"], ["y"])], {"x": x}, opset=20)).run(None, {"x": x})[0]
        check(m, {"x": x}, want, run_module)


def test_pytorch_identity_aliases_stay_distinct_parameters():
    # one stored value, two parameters (PyTorch's exporter dedups equal values)
    m = model([N("Identity", ["w"], ["w2"]), N("Mul", ["x", "w"], ["a"]), N("Mul", ["a", "w2"], ["y"])],
              {"x": rand(3)}, inits={"w": np.ones(3, np.float32)})
    result = import_onnx(m)
    from tdopt.dialects import train
    names = sorted(op.param_name for op in result.module.walk() if isinstance(op, train.ParamOp))
    assert names == ["w", "w2"]


def test_clip_with_a_computed_bound_is_a_diagnostic():
    m = model([N("Clip", ["x", "w"], ["y"])], {"x": rand(3), "w": rand(1)})
    from tdopt.frontend.onnx import ImportFailure
    with pytest.raises(ImportFailure, match=r"Clip.*min.*must be a constant"):
        import_onnx(m)


# -- static slicing and selection, Einsum (PyTorch exports) ---------------------

I64 = np.int64
SLICING_CASES = {
    "slice-negative-indices-step2": (
        [N("Slice", ["x", "s", "e", "a", "k"], ["y"])], {"x": rand(4, 9)}, 13,
        {"s": np.array([-8], I64), "e": np.array([-1], I64), "a": np.array([1], I64), "k": np.array([2], I64)}),
    "slice-negative-step-clamped": (
        [N("Slice", ["x", "s", "e", "a", "k"], ["y"])], {"x": rand(3, 5, 2)}, 13,
        {"s": np.array([100, 2], I64), "e": np.array([-100, 0], I64), "a": np.array([1, 0], I64),
         "k": np.array([-2, -1], I64)}),
    "slice-no-axes-no-steps": (
        [N("Slice", ["x", "s", "e"], ["y"])], {"x": rand(5, 4)}, 13,
        {"s": np.array([1, 0], I64), "e": np.array([4, 3], I64)}),
    "slice-opset9-attributes": ([N("Slice", ["x"], ["y"], starts=[1], ends=[1000], axes=[-1])], {"x": rand(2, 6)}, 9, {}),
    "split-input-sizes": (
        [N("Split", ["x", "s"], ["a", "b"], axis=1), N("Concat", ["b", "a"], ["y"], axis=1)], {"x": rand(2, 7)}, 13,
        {"s": np.array([3, 4], I64)}),
    "split-num-outputs-uneven": (
        [N("Split", ["x"], ["a", "b", "c"], axis=0, num_outputs=3), N("Concat", ["c", "a", "b"], ["y"], axis=0)],
        {"x": rand(8, 2)}, 18, {}),
    "split-equal-attribute-form": (
        [N("Split", ["x"], ["a", "b"], axis=-1), N("Sub", ["a", "b"], ["y"])], {"x": rand(3, 4)}, 11, {}),
    "gather-scalar-index": ([N("Gather", ["x", "i"], ["y"], axis=1)], {"x": rand(2, 3, 4)}, 13, {"i": np.array(-1, I64)}),
    "gather-progression": ([N("Gather", ["x", "i"], ["y"], axis=0)], {"x": rand(7, 3)}, 13, {"i": np.array([5, 3, 1], I64)}),
    "gather-index-matrix": (
        [N("Gather", ["x", "i"], ["y"], axis=1)], {"x": rand(2, 5)}, 13, {"i": np.array([[4, 0], [0, 2]], I64)}),
    "expand": ([N("Expand", ["x", "s"], ["y"])], {"x": rand(3, 1)}, 13, {"s": np.array([2, 1, 4], I64)}),
    "expand-leading-ones": ([N("Expand", ["x", "s"], ["y"])], {"x": rand(3, 4)}, 13, {"s": np.array([1, 3, 1], I64)}),
    "where-constant-mask-fill": (
        [N("Where", ["m", "f", "x"], ["y"])], {"x": rand(3, 4)}, 13,
        {"m": np.triu(np.ones((3, 4), bool), 1), "f": np.array(-np.inf, np.float32)}),
    "where-constant-mask-two-tensors": (
        [N("Where", ["m", "x", "z"], ["y"])], {"x": rand(2, 3), "z": rand(2, 3)}, 13,
        {"m": np.array([True, False, True])}),
}
EINSUMS = {
    "bhid,bhjd->bhij": [(2, 2, 3, 4), (2, 2, 5, 4)],
    "bhij,bhjd->bhid": [(2, 2, 3, 5), (2, 2, 5, 4)],
    "bij,jk->bik": [(2, 3, 4), (4, 5)],
    "ij->ji": [(3, 4)],
    "bn,bnd->bd": [(2, 5), (2, 5, 3)],
    "bij,bkj->bki": [(2, 3, 4), (2, 5, 4)],
    "...ij,...jk->...ik": [(2, 3, 4), (2, 4, 2)],
    "ij,jk": [(3, 4), (4, 2)],
    "ijk->j": [(2, 3, 4)],
    "ij,kj->": [(3, 4), (2, 4)],
    "bi,cj->bcij": [(2, 3), (4, 5)],
}
for _eq, _shapes in EINSUMS.items():
    _names = [f"x{k}" for k in range(len(_shapes))]
    SLICING_CASES[f"einsum {_eq}"] = (
        [N("Einsum", _names, ["y"], equation=_eq)], {n: rand(*s) for n, s in zip(_names, _shapes)}, 13, {})


@pytest.mark.parametrize("name", sorted(SLICING_CASES))
def test_slicing_and_einsum(name: str, run_module):
    nodes, inputs, opset, inits = SLICING_CASES[name]
    check(model(nodes, inputs, opset=opset, inits=inits), inputs, run_module=run_module)


@pytest.mark.parametrize("equation,shapes,reason", [
    ("ii->i", [(3, 3)], "a label repeats within 'ii'"),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)], "has 3 operands"),
    ("ij,jk->ik", [(2, 3), (4, 5)], "label 'j' has sizes 3 and 4"),
])
def test_einsum_diagnostics_name_the_equation(equation, shapes, reason):
    names = [f"x{k}" for k in range(len(shapes))]
    m = model([N("Einsum", names, ["y"], equation=equation, name="attn")],
              {n: rand(*s) for n, s in zip(names, shapes)})
    with pytest.raises(ImportFailure, match=f"'attn' \\(Einsum.*{equation}.*{reason}"):
        import_onnx(m)


def gelu_nodes(form: str):
    c = lambda name, v: N("Constant", [], [name], value=numpy_helper.from_array(np.array(v, np.float32)))  # noqa: E731
    head = [c("r2", np.sqrt(2.0)), c("one", 1.0), c("half", 0.5), N("Div", ["x", "r2"], ["d"]),
            N("Erf", ["d"], ["e"]), N("Add", ["e", "one"], ["p"])]
    if form == "torchscript":  # (x * (1 + erf)) * 0.5
        return head + [N("Mul", ["x", "p"], ["m"]), N("Mul", ["m", "half"], ["y"])]
    if form == "dynamo":  # x * (0.5 * (1 + erf))
        return head + [N("Mul", ["half", "p"], ["m"]), N("Mul", ["x", "m"], ["y"])]
    return head + [N("Mul", ["x", "half"], ["m"]), N("Mul", ["p", "m"], ["y"])]  # (1 + erf) * (x * 0.5)


@pytest.mark.parametrize("form", ["torchscript", "dynamo", "half-first"])
def test_exact_gelu_subgraph_becomes_one_gelu(form: str, run_module):
    from tdopt.dialects import train

    x = rand(3, 5) * 2
    m = model(gelu_nodes(form), {"x": x}, opset=17)
    result = import_onnx(m)
    computing = [op.name for op in result.module.walk() if isinstance(op, train.TrainOp)]
    assert computing == ["train.gelu"]
    check(m, {"x": x}, run_module=run_module)  # onnx.reference runs the Erf chain


def test_gelu_pattern_needs_its_constants_and_single_uses():
    from tdopt.frontend.onnx.patterns import fuse_gelu

    good = gelu_nodes("dynamo")
    assert [n.op_type for n in fuse_gelu(good, {}, {"y"})][-1] == "Gelu"
    wrong_scale = [N("Constant", [], ["r2"], value=numpy_helper.from_array(np.array(2.0, np.float32)))] + good[1:]
    assert "Erf" in [n.op_type for n in fuse_gelu(wrong_scale, {}, {"y"})]
    # the erf result is also a graph output: the chain must stay
    assert "Erf" in [n.op_type for n in fuse_gelu(good, {}, {"y", "e"})]


# -- Pow with a tensor exponent, RMS normalisation (issue 13) -------------------

CASES_POW_RMS = {
    "pow-tensor-broadcast": (
        [N("Pow", ["x", "e"], ["y"])], {"x": np.abs(rand(2, 3, 4)) + 0.1, "e": rand(3, 1)}, 15, {}),
    "pow-constant-int-exponent-vector": (
        [N("Pow", ["x", "e"], ["y"])], {"x": rand(2, 4)}, 15, {"e": np.array([1, 2, 3, 0], np.int64)}),
    "pow-negative-bases-integer-exponents": (
        [N("Pow", ["x", "e"], ["y"])], {"x": -np.abs(rand(2, 4)) - 0.1}, 15,
        {"e": np.array([[1.0, 2.0, 3.0, -2.0]], np.float32)}),
    "rmsnormalization-last-axis": (
        [N("RMSNormalization", ["x", "s"], ["y"], epsilon=1e-3)], {"x": rand(2, 3, 5)}, 23, {"s": rand(5)}),
    "rmsnormalization-axis1-broadcast-scale": (
        [N("RMSNormalization", ["x", "s"], ["y"], axis=1)], {"x": rand(2, 3, 5)}, 23, {"s": rand(1, 5)}),
    "rmsnormalization-negative-axis": (
        [N("RMSNormalization", ["x", "s"], ["y"], axis=-2)], {"x": rand(2, 3, 4)}, 23, {"s": rand(3, 4)}),
}


@pytest.mark.parametrize("name", sorted(CASES_POW_RMS))
def test_pow_tensor_and_rms_norm(name: str, run_module):
    nodes, inputs, opset, inits = CASES_POW_RMS[name]
    check(model(nodes, inputs, opset=opset, inits=inits), inputs, run_module=run_module)


def test_deeploy_rmsnorm_is_rms_normalization_over_the_last_axis(run_module):
    x, w = rand(3, 2, 6), rand(6)
    m = model([N("RMSNorm", ["x", "w"], ["y"], eps=1e-4)], {"x": x}, opset=13, inits={"w": w})
    x64 = x.astype(np.float64)
    want = (x64 / np.sqrt((x64 * x64).mean(-1, keepdims=True) + 1e-4) * w).astype(np.float32)
    check(m, {"x": x}, want, run_module)


@pytest.mark.parametrize("node,opset,inits,match", [
    (N("RMSNorm", ["x", "w"], ["y"], eps=1e-4, axis=0, name="rms"), 13, {"w": rand(6)},
     r"'rms' \(RMSNorm,.*attribute axis \(accepted: eps\)"),
    (N("RMSNormalization", ["x", "w"], ["y"], stash_type=10, name="rms"), 23, {"w": rand(6)},
     r"'rms' \(RMSNormalization,.*stash_type = 10"),
    (N("RMSNormalization", ["x", "w"], ["y"], name="rms"), 23, {"w": rand(2, 6)},
     r"'rms' \(RMSNormalization,.*scale of shape \[2, 6\] does not broadcast to the normalised shape \[6\]"),
    (N("RMSNormalization", ["x", "w"], ["y"], axis=3, name="rms"), 23, {"w": rand(6)},
     r"'rms' \(RMSNormalization,.*axis 3 for an input of rank 3"),
    (N("Pow", ["x", "e"], ["y"], name="p"), 15, {"e": np.ones((2, 2), np.float64)},
     r"'p' \(Pow,.*exponent 'e'.*base's element type"),
])
def test_pow_and_rms_norm_diagnostics(node, opset, inits, match):
    with pytest.raises(ImportFailure, match=match):
        import_onnx(model([node], {"x": rand(3, 2, 6)}, opset=opset, inits=inits))


# -- attributes outside what is supported: a diagnostic naming the node, the
# op and what is accepted; the accepted forms checked against onnx.reference

ATTRIBUTE_FORMS = {
    "avgpool-ceil-mode-same-shape": (
        [N("AveragePool", ["x"], ["y"], kernel_shape=[2, 2], strides=[2, 2], ceil_mode=1)], {"x": rand(1, 2, 4, 4)}, 19),
    "avgpool-dilated": ([N("AveragePool", ["x"], ["y"], kernel_shape=[2, 2], dilations=[2, 2])], {"x": rand(1, 2, 5, 5)}, 19),
    "avgpool-padding-counted": (
        [N("AveragePool", ["x"], ["y"], kernel_shape=[3, 3], pads=[1, 1, 1, 1], count_include_pad=1)],
        {"x": rand(1, 2, 4, 4)}, 19),
    "maxpool-storage-order-without-indices": (
        [N("MaxPool", ["x"], ["y"], kernel_shape=[2, 2], storage_order=1)], {"x": rand(1, 2, 5, 5)}, 13),
    "maxpool-same-upper-stride": (
        [N("MaxPool", ["x"], ["y"], kernel_shape=[3, 3], strides=[2, 2], auto_pad="SAME_UPPER")], {"x": rand(1, 2, 5, 5)}, 13),
}


@pytest.mark.parametrize("name", sorted(ATTRIBUTE_FORMS))
def test_accepted_attribute_forms(name: str, run_module):
    nodes, inputs, opset = ATTRIBUTE_FORMS[name]
    check(model(nodes, inputs, opset=opset), inputs, run_module=run_module)


@pytest.mark.parametrize("node,inputs,opset,inits,match", [
    (N("AveragePool", ["x"], ["y"], kernel_shape=[2, 2], strides=[2, 2], ceil_mode=1, name="pool"),
     {"x": rand(1, 2, 5, 5)}, 19, {}, r"'pool' \(AveragePool,.*ceil_mode = 1 where it changes the output shape"),
    (N("MaxPool", ["x"], ["y"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], ceil_mode=1, name="pool"),
     {"x": rand(1, 2, 6, 6)}, 13, {}, r"'pool' \(MaxPool,.*ceil_mode = 1 where it changes the output shape"),
    (N("AveragePool", ["x"], ["y"], kernel_shape=[3, 3], auto_pad="SAME_UPPER", name="pool"),
     {"x": rand(1, 2, 5, 5)}, 19, {}, r"'pool' \(AveragePool,.*padding excluded from the average \(count_include_pad = 0\)"),
    (N("MaxPool", ["x"], ["y"], kernel_shape=[2, 2], dilations=[2, 2], name="pool"),
     {"x": rand(1, 2, 5, 5)}, 13, {}, r"'pool' \(MaxPool,.*dilations \[2, 2\]"),
    (N("Conv", ["x", "w"], ["y"], auto_pad="SAME_SIDEWAYS", name="c"),
     {"x": rand(1, 2, 5, 5)}, 13, {"w": rand(3, 2, 3, 3)}, r"'c' \(Conv,.*auto_pad = 'SAME_SIDEWAYS'"),
    (N("Conv", ["x", "w"], ["y"], kernel_shape=[2, 2], name="c"),
     {"x": rand(1, 2, 5, 5)}, 13, {"w": rand(3, 2, 3, 3)},
     r"'c' \(Conv,.*kernel_shape \[2, 2\] differs from the weight's spatial shape \[3, 3\]"),
    (N("Conv", ["x", "w"], ["y"], name="c"),
     {"x": rand(1, 2, 4, 4, 4)}, 13, {"w": rand(3, 2, 3, 3, 3)}, r"'c' \(Conv,.*3-D Conv \(only 1-D and 2-D\)"),
    (N("SoftmaxCrossEntropyLoss", ["x", "l"], ["y"], reduction="none", name="ce"),
     {"x": rand(3, 4)}, 13, {"l": np.array([0, 1, 2], np.int64)}, r"'ce' \(SoftmaxCrossEntropyLoss,.*reduction = 'none'"),
    (N("SoftmaxCrossEntropyLoss", ["x", "l"], ["y"], ignore_index=1, name="ce"),
     {"x": rand(3, 4)}, 13, {"l": np.array([0, 1, 2], np.int64)}, r"'ce' \(SoftmaxCrossEntropyLoss,.*ignore_index"),
    (N("Gelu", ["x"], ["y"], approximate="sigmoid", name="g"),
     {"x": rand(3, 4)}, 20, {}, r"'g' \(Gelu,.*approximate = 'sigmoid'"),
    (N("LeakyRelu", ["x"], ["y"], alpha=0.1, beta=2.0, name="l"),
     {"x": rand(3, 4)}, 13, {}, r"'l' \(LeakyRelu,.*attribute beta \(accepted: alpha\)"),
])
def test_unsupported_attributes_are_diagnosed(node, inputs, opset, inits, match):
    with pytest.raises(ImportFailure, match=match):
        import_onnx(model([node], inputs, opset=opset, inits=inits))


def test_maxpool_indices_in_use_are_diagnosed():
    nodes = [N("MaxPool", ["x"], ["y", "i"], kernel_shape=[2, 2], name="pool"), N("Cast", ["i"], ["f"], to=1),
             N("Add", ["y", "f"], ["z"])]
    with pytest.raises(ImportFailure, match=r"'pool' \(MaxPool,.*its output #1 \('i'\) is used"):
        import_onnx(model(nodes, {"x": rand(1, 2, 4, 4)}, out_name="z"))
