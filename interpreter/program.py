"""Run a program at the linalg level (`tdopt --emit=linalg`, the output of
`convert-train-to-linalg` and `plan-memory`) on numpy, without the RTL.

Contract: the module holds `memref.global`s with `cluster.role` / `cluster.tensor`
attributes (inputs, parameters, constants, outputs; an output with
`cluster.alias_of` is stored in another global's bytes), an entry function
(`cluster.entry`, else the only function without callers) that calls kernel
functions whose bodies are `linalg.generic` ops over arith / math (and
`linalg.fill` of a kernel's output). Memref
values are numpy arrays; every global is one array for the whole run, a
view (`analyses/views.py`: collapse_shape, expand_shape, reinterpret_cast
at offset 0) is a numpy view of its operand, a
`memref.memory_space_cast` the operand itself (tiers are not modelled), each
`memref.alloc` a fresh zeroed array (the memory plan's offsets are not
modelled: the RTL runs check those). Floats are float32 throughout, like the
device. `run_program` returns the outputs by tensor name.

It is built on xDSL's interpreter (its func implementations, its region
runner); `linalg.generic` is evaluated vectorised: the parallel loops at once
as numpy arrays, the reduction loops one iteration at a time, so a step of
a small network runs in seconds. The purpose is to check transformations of
the linalg level (for example a round trip through upstream MLIR) against
the train-level reference interpreter.
"""

from __future__ import annotations

import itertools
import math as pymath
from collections.abc import Callable
from typing import Any

import numpy as np
from xdsl.dialects import arith, func, math, memref
from xdsl.dialects.linalg import ops as linalg
from xdsl.dialects.builtin import (
    DenseIntOrFPElementsAttr,
    FloatAttr,
    IntegerAttr,
    MemRefType,
    ModuleOp,
)
from xdsl.interpreter import (
    Interpreter,
    InterpreterFunctions,
    PythonValues,
    ReturnedValues,
    impl,
    impl_terminator,
    register_impls,
)
from xdsl.interpreters.func import FuncFunctions

from tdopt.analyses.views import starts_at_source
from tdopt.dialects.cluster import ENTRY, Role, alias_of, role_of, tensor_of
from tdopt.interpreter.reference import InterpretationFailure
from tdopt.dialects.train import numpy_dtype, numpy_from_dense

_erf = np.vectorize(pymath.erf, otypes=[np.float64])

# elementwise ops of kernel bodies: op -> numpy function of the operands
ELEMENTWISE: dict[type, Callable[..., Any]] = {
    arith.AddfOp: np.add,
    arith.SubfOp: np.subtract,
    arith.MulfOp: np.multiply,
    arith.DivfOp: np.divide,
    arith.NegfOp: np.negative,
    arith.MaximumfOp: np.maximum,  # NaN-propagating, like arith.maximumf
    arith.MinimumfOp: np.minimum,
    arith.MaxnumfOp: np.fmax,  # the non-NaN operand wins
    arith.MinnumfOp: np.fmin,
    arith.AddiOp: np.add,
    arith.SubiOp: np.subtract,
    arith.MuliOp: np.multiply,
    arith.DivSIOp: lambda a, b: np.trunc(np.divide(a, b)).astype(np.result_type(a, b)),
    arith.RemSIOp: np.fmod,
    arith.FloorDivSIOp: np.floor_divide,
    arith.MaxSIOp: np.maximum,
    arith.MinSIOp: np.minimum,
    arith.AndIOp: np.bitwise_and,
    arith.OrIOp: np.bitwise_or,
    arith.XOrIOp: np.bitwise_xor,
    arith.SelectOp: np.where,
    math.ExpOp: np.exp,
    math.LogOp: np.log,
    math.SqrtOp: np.sqrt,
    math.RsqrtOp: lambda x: np.float32(1) / np.sqrt(x),
    math.TanhOp: np.tanh,
    math.AbsFOp: np.abs,
    math.FloorOp: np.floor,
    math.CeilOp: np.ceil,
    math.PowFOp: np.power,
    math.ErfOp: lambda x: _erf(x).astype(np.float32),
    math.FmaOp: lambda a, b, c: a * b + c,
}

# arith.cmpf predicates (MLIR's numbering): ordered ones are false on NaN
_CMPF: dict[int, Callable[[Any, Any], Any]] = {
    0: lambda a, b: np.zeros(np.broadcast(a, b).shape, bool),
    1: np.equal, 2: np.greater, 3: np.greater_equal, 4: np.less, 5: np.less_equal,
    6: lambda a, b: np.not_equal(a, b) & ~(np.isnan(a) | np.isnan(b)),
    7: lambda a, b: ~(np.isnan(a) | np.isnan(b)),
    8: lambda a, b: np.equal(a, b) | np.isnan(a) | np.isnan(b),
    9: lambda a, b: ~np.less_equal(a, b), 10: lambda a, b: ~np.less(a, b),
    11: lambda a, b: ~np.greater_equal(a, b), 12: lambda a, b: ~np.greater(a, b),
    13: np.not_equal,
    14: lambda a, b: np.isnan(a) | np.isnan(b),
    15: lambda a, b: np.ones(np.broadcast(a, b).shape, bool),
}
# arith.cmpi predicates (indices and labels are non-negative here, so the
# unsigned ones compare the same values)
_CMPI: dict[int, Callable[[Any, Any], Any]] = {
    0: np.equal, 1: np.not_equal, 2: np.less, 3: np.less_equal, 4: np.greater,
    5: np.greater_equal, 6: np.less, 7: np.less_equal, 8: np.greater, 9: np.greater_equal,
}


def _view(a: Any, result: Any) -> Any:
    """The same bytes as array `a`, from its first element, with the shape
    of memref value `result` (of as many or fewer elements)."""
    shape = tuple(result.type.get_shape())
    view = a.reshape(-1)[: int(np.prod(shape))].reshape(shape)
    # a reshape that copied would lose the writes through the view
    assert np.shares_memory(view, a), "a view must share its operand's memory"
    return view


def _scalar(attr: Any, t: Any) -> Any:
    if isinstance(attr, FloatAttr):
        return np.dtype(numpy_dtype(t)).type(attr.value.data)
    if isinstance(attr, IntegerAttr):
        return attr.value.data
    raise NotImplementedError(f"arith.constant {attr}")


class ProgramFunctions(InterpreterFunctions):
    """numpy implementations of the linalg level's ops (ELEMENTWISE is
    added below, then the class is registered)."""

    def __init__(self, module: ModuleOp, inputs: dict[str, np.ndarray]):
        self.arrays: dict[str, np.ndarray] = {}
        self.dims: list[list[Any]] = []  # loop indices of the enclosing generics
        for g in module.ops:
            if isinstance(g, memref.GlobalOp):
                self.arrays[g.sym_name.data] = self._initial(g, inputs)

    @staticmethod
    def _initial(g: memref.GlobalOp, inputs: dict[str, np.ndarray]) -> np.ndarray:
        t = g.type
        assert isinstance(t, MemRefType)
        shape = tuple(t.get_shape())
        dtype = numpy_dtype(t.element_type)
        if role_of(g) == Role.INPUT:
            tensor = tensor_of(g)
            assert tensor is not None
            return np.array(inputs[tensor], dtype=dtype).reshape(shape)
        if isinstance(g.initial_value, DenseIntOrFPElementsAttr):
            value = numpy_from_dense(g.initial_value)
            return np.broadcast_to(value.astype(dtype), shape).copy()
        return np.zeros(shape, dtype)

    @impl(memref.GetGlobalOp)
    def run_get_global(self, interpreter: Interpreter, op: memref.GetGlobalOp, args: PythonValues):
        return (self.arrays[op.name_.string_value()],)

    @impl(memref.AllocOp)
    def run_alloc(self, interpreter: Interpreter, op: memref.AllocOp, args: PythonValues):
        t = op.memref.type
        return (np.zeros(tuple(t.get_shape()), numpy_dtype(t.element_type)),)

    @impl(memref.MemorySpaceCastOp)
    def run_memory_space_cast(
        self, interpreter: Interpreter, op: memref.MemorySpaceCastOp, args: PythonValues
    ):
        return (args[0],)

    @impl(memref.CollapseShapeOp)
    def run_collapse_shape(self, interpreter: Interpreter, op: memref.CollapseShapeOp, args: PythonValues):
        return (_view(args[0], op.result),)

    @impl(memref.ExpandShapeOp)
    def run_expand_shape(self, interpreter: Interpreter, op: memref.ExpandShapeOp, args: PythonValues):
        return (_view(args[0], op.result),)

    @impl(memref.ReinterpretCastOp)
    def run_reinterpret_cast(self, interpreter: Interpreter, op: memref.ReinterpretCastOp, args: PythonValues):
        shape = tuple(op.result.type.get_shape())  # type: ignore[attr-defined]
        row_major = tuple(int(np.prod(shape[k + 1:])) for k in range(len(shape)))
        if not starts_at_source(op) or tuple(op.static_strides.get_values()) != row_major:
            raise InterpretationFailure(
                "memref.reinterpret_cast: only views from the first element, row-major "
                "(offset 0, static strides), are modelled"
            )
        return (_view(args[0], op.result),)

    @impl(arith.ConstantOp)
    def run_constant(self, interpreter: Interpreter, op: arith.ConstantOp, args: PythonValues):
        return (_scalar(op.value, op.result.type),)

    @impl(arith.CmpfOp)
    def run_cmpf(self, interpreter: Interpreter, op: arith.CmpfOp, args: PythonValues):
        return (_CMPF[op.predicate.value.data](*args),)

    @impl(arith.CmpiOp)
    def run_cmpi(self, interpreter: Interpreter, op: arith.CmpiOp, args: PythonValues):
        return (_CMPI[op.predicate.value.data](*args),)

    @impl(arith.IndexCastOp)
    def run_index_cast(self, interpreter: Interpreter, op: arith.IndexCastOp, args: PythonValues):
        return (np.asarray(args[0]).astype(np.int64),)

    @impl(arith.SIToFPOp)
    def run_sitofp(self, interpreter: Interpreter, op: arith.SIToFPOp, args: PythonValues):
        return (np.asarray(args[0]).astype(numpy_dtype(op.result.type)),)

    @impl(linalg.IndexOp)
    def run_index(self, interpreter: Interpreter, op: linalg.IndexOp, args: PythonValues):
        return (self.dims[-1][op.dim.value.data],)

    @impl_terminator(linalg.YieldOp)
    def run_yield(self, interpreter: Interpreter, op: linalg.YieldOp, args: PythonValues):
        return ReturnedValues(args), ()

    @impl(linalg.FillOp)
    def run_fill(self, interpreter: Interpreter, op: linalg.FillOp, args: PythonValues):
        # memref form (kernel-fuse-fill): the value into every element, no result
        value, out = args
        out[...] = value
        return ()

    @impl(linalg.MatmulOp)
    def run_matmul(self, interpreter: Interpreter, op: linalg.MatmulOp, args: PythonValues):
        # a named matmul (convert-train-to-linalg's output) runs as the
        # generic it generalizes to: its maps and body are the op's own
        return self._run_structured(interpreter, op, args)

    @impl(linalg.GenericOp)
    def run_generic(self, interpreter: Interpreter, op: linalg.GenericOp, args: PythonValues):
        return self._run_structured(interpreter, op, args)

    def _run_structured(
        self, interpreter: Interpreter, op: linalg.GenericOp | linalg.MatmulOp, args: PythonValues
    ) -> tuple[()]:
        n_in = len(op.inputs)
        outs = args[n_in:]
        maps = [m.data for m in op.get_indexing_maps()]
        shapes = [d for a in args if isinstance(a, np.ndarray) for d in a.shape]
        ranges = op.get_shapes_to_loops_map().eval(shapes, [])
        kinds = [str(t.data) for t in op.get_iterator_types()]
        parallel = [d for d, k in enumerate(kinds) if k == "parallel"]
        reduction = [d for d, k in enumerate(kinds) if k != "parallel"]
        # the parallel loops as broadcastable index arrays, all at once
        grid = np.ix_(*(np.arange(ranges[d]) for d in parallel)) if parallel else ()
        dims: list[Any] = [None] * len(kinds)
        for d, g in zip(parallel, grid):
            dims[d] = g
        self.dims.append(dims)
        try:
            for point in itertools.product(*(range(ranges[d]) for d in reduction)):
                for d, i in zip(reduction, point):
                    dims[d] = i
                idx = [m.eval(dims, []) for m in maps]
                loaded = [
                    a[i] if isinstance(a, np.ndarray) else a for a, i in zip(args, idx)
                ]
                results = interpreter.run_ssacfg_region(op.body, tuple(loaded), "linalg.generic")
                for out, i, r in zip(outs, idx[n_in:], results):
                    out[i] = r
        finally:
            self.dims.pop()
        return ()


def _elementwise(fn: Callable[..., Any]):
    def run(self, interpreter: Interpreter, op, args: PythonValues):
        return (fn(*args),)

    return run


for _op, _fn in ELEMENTWISE.items():
    _run = impl(_op)(_elementwise(_fn))
    setattr(ProgramFunctions, f"run_{_op.__name__}", _run)
register_impls(ProgramFunctions)


def entry_function(module: ModuleOp) -> func.FuncOp:
    """The program's entry: the function marked `cluster.entry`, else the one
    function no other function calls."""
    funcs = [o for o in module.ops if isinstance(o, func.FuncOp)]
    marked = [f for f in funcs if ENTRY in f.attributes]
    if len(marked) == 1:
        return marked[0]
    called = {
        o.callee.string_value() for f in funcs for o in f.walk() if isinstance(o, func.CallOp)
    }
    roots = [f for f in funcs if f.sym_name.data not in called]
    if len(roots) != 1:
        raise ValueError(
            "no entry function: mark one with cluster.entry (found "
            + ", ".join(f.sym_name.data for f in roots)
            + ")"
        )
    return roots[0]


def run_program(
    module: ModuleOp, inputs: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Run the entry function once; the outputs by tensor name (an output
    stored over a parameter, `cluster.alias_of`, is read from it). `inputs`:
    the arrays of the input globals by tensor name."""
    functions = ProgramFunctions(module, inputs)
    interpreter = Interpreter(module)
    interpreter.register_implementations(FuncFunctions())
    interpreter.register_implementations(functions)
    interpreter.call_op(entry_function(module).sym_name.data, ())
    out: dict[str, np.ndarray] = {}
    for g in module.ops:
        if not isinstance(g, memref.GlobalOp):
            continue
        if role_of(g) != Role.OUTPUT:
            continue
        tensor = tensor_of(g)
        assert tensor is not None
        sym = alias_of(g) or g.sym_name.data
        out[tensor] = functions.arrays[sym].copy()
    return out
