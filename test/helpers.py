"""Shared helpers of the pytest suite: build small train functions."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import Float32Type, Float64Type, ModuleOp, i32, i64
from xdsl.ir import Attribute, Block, Operation, SSAValue

from tdopt.dialects import train


def element_type(dtype: np.dtype) -> Attribute:
    return {
        np.dtype(np.float32): Float32Type(),
        np.dtype(np.float64): Float64Type(),
        np.dtype(np.int64): i64,
        np.dtype(np.int32): i32,
    }[np.dtype(dtype)]


def _insert_detached(block: Block, outputs: Sequence[SSAValue]) -> None:
    """Insert the detached ops the outputs depend on, operands first."""
    seen: set[int] = set()

    def visit(value: SSAValue) -> None:
        op = value.owner
        if not isinstance(op, Operation) or op.parent is not None or id(op) in seen:
            return
        for operand in op.operands:
            visit(operand)
        seen.add(id(op))
        block.add_op(op)

    for v in outputs:
        visit(v)


def make_module(
    inputs: dict[str, np.ndarray],
    body: Callable[[list[SSAValue]], Sequence[SSAValue | Operation]],
) -> ModuleOp:
    """A module with one function `main(inputs...)`; `body` creates ops (e.g.
    with `XOp.make`) from the block arguments and returns the results."""
    arg_types = [train.tensor(v.shape, element_type(v.dtype)) for v in inputs.values()]
    block = Block(arg_types=arg_types)
    for arg, name in zip(block.args, inputs):
        arg.name_hint = name
    outs = [SSAValue.get(v) for v in body(list(block.args))]
    _insert_detached(block, outs)
    block.add_op(func.ReturnOp(*outs))
    from xdsl.ir import Region

    f = func.FuncOp("main", (arg_types, [o.type for o in outs]), Region(block))
    module = ModuleOp([f])
    module.verify()
    return module


EXAMPLES = Path(__file__).parents[1] / "examples"


def load_example(relative: str) -> ModuleType:
    """An example script (e.g. "mlperf_tiny/export.py") as a module; its
    folder goes on sys.path so that it can import its neighbours."""
    path = EXAMPLES / relative
    name = "tdopt_example_" + relative.replace("/", "_").removesuffix(".py")
    if name in sys.modules:
        return sys.modules[name]
    sys.path.insert(0, str(path.parent))
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod  # dataclasses look their module up there
    spec.loader.exec_module(mod)
    return mod
