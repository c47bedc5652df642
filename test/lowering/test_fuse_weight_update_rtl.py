"""The weight gradient fused with its SGD update (train-fuse-weight-update,
`gemm_accumulate` kernels writing W in place) on the RTL: the updated
weights of a small MLP step against torch.autograd with a manual SGD step,
run tile by tile (the W accumulation cut into several tiles, copied in and
out) on 8 cores; and a step that reads W after its update, with the old
value (not fused) and with the new one (fused), against numpy."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from helpers import make_module
from test_grad_ops_rtl import param, training_step
from xdsl.dialects import func, memref
from xdsl.dialects.builtin import ArrayAttr, StringAttr, UnitAttr
from xdsl.ir import Operation, SSAValue

from tdopt.dialects import train
from tdopt.dialects.cluster import kernel_kind
from tdopt.dialects.tier import IN, OUT, TiledCallOp
from tdopt.lowering import pipeline
from tdopt.lowering.pipeline import run_pipeline
from tdopt.tools.context import make_context
from tdopt.tools.rtl_run import run_on_rtl

RTOL, ATOL = 1e-4, 1e-5
LR = 0.1
# every tensor in L2 and a tile budget that cuts the 16x12 weights
TILED = (
    "train-schedule-updates,train-fuse-weight-update,convert-train-to-linalg,linalg-generalize-named-ops,"
    "plan-memory{l1_budget=0},tier-tile-l1{budget=640}"
)


def rand(rng: np.random.Generator, *shape: int) -> np.ndarray:
    return rng.standard_normal(shape).astype(np.float32)


rng0 = np.random.default_rng(7)
WEIGHTS = {
    "w1": rand(rng0, 16, 12) * 0.3,
    "b1": rand(rng0, 16) * 0.1,
    "w2": rand(rng0, 12, 16) * 0.3,
}


def mlp(v: list[SSAValue]) -> list[Operation]:
    """linear 12 -> 16 (gemm, transposed weight), relu, linear 16 -> 12
    without bias (matmul with W^T as in torch: a plain 2-D matmul of x and
    a 16x12 weight here), mse against the input."""
    x, target = v
    w1, b1 = param("w1", WEIGHTS["w1"]), param("b1", WEIGHTS["b1"])
    w2 = param("w2", WEIGHTS["w2"].T.copy())
    h = train.ReluOp.make([train.GemmOp.make([x, w1, b1], trans_b=UnitAttr())])
    o = train.MatMulOp.make([h, w2])
    return [train.MseOp.make([o, target])]


def torch_step(inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    w1 = torch.tensor(WEIGHTS["w1"], requires_grad=True)
    b1 = torch.tensor(WEIGHTS["b1"], requires_grad=True)
    w2 = torch.tensor(WEIGHTS["w2"].T.copy(), requires_grad=True)
    x, t = torch.tensor(inputs["x"]), torch.tensor(inputs["target"])
    F.mse_loss(F.relu(F.linear(x, w1, b1)) @ w2, t).backward()
    return {n: (p - LR * p.grad).detach().numpy() for n, p in (("w1", w1), ("b1", b1), ("w2", w2))}


def test_mlp_step_fused_on_rtl(monkeypatch) -> None:
    rng = np.random.default_rng(8)
    inputs = {"x": rand(rng, 2, 12), "target": rand(rng, 2, 12)}
    step = training_step(inputs, mlp)  # train-autodiff, train-sgd{lr=0.1}
    # the program as lowered: both weights accumulate in place, tile by
    # tile, W copied in and out; no weight-sized buffer besides the weights
    linalg = step.clone()
    run_pipeline(make_context(), linalg, TILED)
    calls = [op for op in linalg.walk() if isinstance(op, TiledCallOp)]
    accumulate = [c for c in calls if "gemm_accumulate" in c.callee.root_reference.data]
    assert len(accumulate) == 2
    for c in accumulate:
        assert c.modes.get_values()[-1] == IN | OUT  # W: read and written
        assert int(np.prod(c.grid_values())) > 1
    # (both weights are 16x12; the 12x16 transpose of w2 for the input
    # gradient is the one weight-sized temporary)
    for op in linalg.walk():
        if isinstance(op, memref.AllocOp):
            assert tuple(op.memref.type.get_shape()) != (16, 12)
    monkeypatch.setattr(pipeline, "to_linalg", lambda *args, **kwargs: TILED)
    run = run_on_rtl(make_context(), step, inputs, cores=8, l1="64k", tile_l1=True,
                     max_cycles=20_000_000)
    expected = torch_step(inputs)
    for name, want in expected.items():
        np.testing.assert_allclose(run.results[f"{name}_updated"], want, rtol=RTOL, atol=ATOL,
                                   err_msg=name)


def late_read(new: bool):
    """W_updated = W - 0.5 x^T gy written as train-sgd does, then y = x W
    with the old W (`new` False) or the updated one."""

    def body(v: list[SSAValue]) -> list[Operation]:
        x, gy = v
        w = param("w", WEIGHTS["w1"][:3, :4].copy())
        g = train.GemmOp.make([x, gy], trans_a=UnitAttr())
        lr = train.ConstantOp(train.dense_from_numpy(np.asarray(0.5, np.float32)))
        u = train.SubOp.make([w, train.MulOp.make([g, lr])])
        y = train.MatMulOp.make([x, u if new else w])
        return [u, y]

    return body


def test_weight_read_after_its_update_on_rtl() -> None:
    rng = np.random.default_rng(9)
    inputs = {"x": rand(rng, 2, 3), "gy": rand(rng, 2, 4)}
    w = WEIGHTS["w1"][:3, :4].astype(np.float64)
    x, gy = inputs["x"].astype(np.float64), inputs["gy"].astype(np.float64)
    new = w - 0.5 * x.T @ gy
    for reads_new in (False, True):
        module = make_module(inputs, late_read(reads_new))
        f = next(o for o in module.ops if isinstance(o, func.FuncOp))
        f.attributes["train.result_names"] = ArrayAttr([StringAttr("w_updated"), StringAttr("y")])
        linalg = module.clone()
        run_pipeline(make_context(), linalg, pipeline.to_linalg())
        kernels = {
            kernel_kind(op)
            for op in linalg.ops if isinstance(op, func.FuncOp) and kernel_kind(op) is not None
        }
        # the old W read after the update: not fused (the gradient kept)
        assert ("gemm_accumulate" in kernels) is reads_new
        run = run_on_rtl(make_context(), module, inputs, cores=1, max_cycles=5_000_000)
        np.testing.assert_allclose(run.results["w_updated"], new, rtol=RTOL, atol=ATOL)
        np.testing.assert_allclose(run.results["y"], x @ (new if reads_new else w), rtol=RTOL,
                                   atol=ATOL)
