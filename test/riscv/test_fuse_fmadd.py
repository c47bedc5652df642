"""`riscv-fuse-fmadd`: which fused op is selected, and that the fused code
computes what the unfused code computes (up to the single rounding)."""

from __future__ import annotations

import numpy as np
import pytest
from rv32f_pipeline import FUSE, TO_RISCV, functions, run
from rv_eval import evaluate

F32 = np.float32

KERNELS = {
    # name: (body over %a %b %c, numpy float64 reference, fused op expected)
    "madd": ("%m = arith.mulf %a, %b : f32\n  %r = arith.addf %c, %m : f32", lambda a, b, c: a * b + c, "riscv.fmadd.s"),
    "msub": ("%m = arith.mulf %a, %b : f32\n  %r = arith.subf %m, %c : f32", lambda a, b, c: a * b - c, "riscv.fmsub.s"),
    "nmsub": ("%m = arith.mulf %a, %b : f32\n  %r = arith.subf %c, %m : f32", lambda a, b, c: c - a * b, "riscv.fnmsub.s"),
    "nmadd": (
        "%m = arith.mulf %a, %b : f32\n  %s = arith.addf %m, %c : f32\n  %r = arith.negf %s : f32",
        lambda a, b, c: -(a * b + c),
        "riscv.fnmadd.s",
    ),
}


def kernel_module() -> str:
    return "\n".join(
        f"func.func @{name}(%a: f32, %b: f32, %c: f32) -> f32 {{\n  {body}\n  func.return %r : f32\n}}"
        for name, (body, _, _) in KERNELS.items()
    )


@pytest.fixture(scope="module")
def fused():
    return functions(run(kernel_module(), f"{TO_RISCV},{FUSE}"))


@pytest.fixture(scope="module")
def unfused():
    return functions(run(kernel_module(), TO_RISCV))


@pytest.mark.parametrize("name", KERNELS)
def test_selection_and_value(fused, unfused, name):
    _, reference, expected_op = KERNELS[name]
    ops = [op.name for op in fused[name].walk()]
    assert expected_op in ops
    assert "riscv.fmul.s" not in ops and "riscv.fadd.s" not in ops and "riscv.fsub.s" not in ops
    rng = np.random.default_rng(1)
    a, b, c = (rng.standard_normal(50_000).astype(F32) for _ in range(3))
    (y,) = evaluate(fused[name], a, b, c)
    exact = reference(a.astype(np.float64), b.astype(np.float64), c.astype(np.float64))
    # one rounding: the correctly rounded value (up to a rare double rounding
    # in the evaluator)
    assert np.mean(y == exact.astype(F32)) > 0.999
    (y_unfused,) = evaluate(unfused[name], a, b, c)
    scale = np.abs(a * b.astype(np.float64)) + np.abs(c)
    assert np.all(np.abs(y - exact) <= 2**-23 * scale)
    assert np.all(np.abs(y_unfused - exact) <= 2**-22 * scale)


def test_random_expressions_stay_within_rounding_error():
    """Random mul/add/sub/neg DAGs, fused and unfused, against float64.

    The bound is the classic one, n ops * 2^-24 * (the expression evaluated on
    absolute values): a wrong sign or operand in a fused op exceeds it."""
    rng = np.random.default_rng(2)
    inputs = [rng.uniform(-1, 1, 20_000).astype(F32) for _ in range(4)]
    exact = {f"%{n}": v.astype(np.float64) for n, v in zip("abcd", inputs)}
    bound = {k: np.abs(v) for k, v in exact.items()}
    lines, names = [], list(exact)
    for k in range(40):
        # one factor is an input (|x| <= 1): values grow at most 2x per step
        x = "%" + "abcd"[rng.integers(0, 4)]
        y, z = (names[i] for i in rng.integers(0, len(names), 2))
        kind = int(rng.integers(0, 4))
        lines.append(f"%m{k} = arith.mulf {x}, {y} : f32")
        product, product_bound = exact[x] * exact[y], bound[x] * bound[y]
        if kind == 0:
            lines.append(f"%v{k} = arith.addf %m{k}, {z} : f32")
            value = product + exact[z]
        elif kind == 1:
            lines.append(f"%v{k} = arith.subf %m{k}, {z} : f32")
            value = product - exact[z]
        elif kind == 2:
            lines.append(f"%v{k} = arith.subf {z}, %m{k} : f32")
            value = exact[z] - product
        else:
            lines.append(f"%s{k} = arith.addf {z}, %m{k} : f32")
            lines.append(f"%v{k} = arith.negf %s{k} : f32")
            value = -(exact[z] + product)
        exact[f"%v{k}"], bound[f"%v{k}"] = value, product_bound + bound[z]
        names = (names + [f"%v{k}"])[-6:]  # few live values: the allocator cannot spill
    result = names[-1]
    text = (
        "func.func @f(%a: f32, %b: f32, %c: f32, %d: f32) -> f32 {\n  "
        + "\n  ".join(lines)
        + f"\n  func.return {result} : f32\n}}"
    )
    tolerance = 2 * len(lines) * 2.0**-24 * bound[result]
    for pipeline in (f"{TO_RISCV},{FUSE}", TO_RISCV):
        function = functions(run(text, pipeline))["f"]
        (y,) = evaluate(function, *inputs)
        assert np.all(np.abs(y - exact[result]) <= tolerance), pipeline
    fused_ops = [op.name for op in functions(run(text, f"{TO_RISCV},{FUSE}"))["f"].walk()]
    assert {"riscv.fmadd.s", "riscv.fmsub.s", "riscv.fnmsub.s", "riscv.fnmadd.s"} <= set(fused_ops)


def test_require_contract_respects_fastmath_flags():
    text = """func.func @f(%a: f32, %b: f32, %c: f32) -> (f32, f32) {
      %m = arith.mulf %a, %b fastmath<contract> : f32
      %r = arith.addf %m, %c fastmath<fast> : f32
      %m2 = arith.mulf %a, %c : f32
      %r2 = arith.addf %m2, %b fastmath<contract> : f32
      func.return %r, %r2 : f32, f32
    }"""
    strict = [op.name for op in run(text, f"{TO_RISCV},riscv-fuse-fmadd{{require-contract=true}}").walk()]
    assert strict.count("riscv.fmadd.s") == 1 and strict.count("riscv.fmul.s") == 1
    default = [op.name for op in run(text, f"{TO_RISCV},riscv-fuse-fmadd").walk()]
    assert default.count("riscv.fmadd.s") == 2 and "riscv.fmul.s" not in default
