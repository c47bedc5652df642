"""`convert-train-to-linalg`: a train function becomes a program on memrefs.

* every function argument, parameter, constant and result becomes a
  `memref.global` named after the tensor (`cluster.role` = input / param /
  const / output, `cluster.tensor` = the original name), so a loader can fill
  inputs and read results by name;
* every other tensor becomes a `memref.alloc` (placed later by the memory
  plan); reshape-like ops alias their operand's buffer;
* every op becomes a call of a kernel `func.func @k_<op>_<n>(%outs..., %ins...)`
  whose body is linalg on memrefs (`<op>` is `grad_<name>` for grad ops);
  kernels with the same op, types and attributes are shared. A kernel
  function and its calls carry the location of the op they were lowered
  from (the first one, for a shared kernel), so a failure inside is
  reported there (tools/diagnostics.py `failing_op`).

The entry function keeps its name, takes no arguments and returns nothing.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import func, memref
from xdsl.dialects.builtin import (
    BytesAttr,
    DenseIntOrFPElementsAttr,
    Float32Type,
    IntegerType,
    MemRefType,
    ModuleOp,
    StringAttr,
    SymbolRefAttr,
    TensorType,
    UnitAttr,
    i32,
)
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.utils.exceptions import DiagnosticException

import numpy as np

from tdopt.analyses.views import view_op
from tdopt.dialects import train
from tdopt.dialects.cluster import ALIAS_OF, ENTRY, KERNEL, ROLE, SCRATCH, TENSOR, role_attr
from tdopt.dialects.weights import WEIGHTS_ATTR, WeightsError, load_weights
from tdopt.dialects.train_module import argument_names, result_names
from tdopt.lowering import train_kernels
from tdopt.lowering.grad_kernels import GRAD_KERNELS
from tdopt.lowering.elementwise_kernels import ELEMENTWISE_KERNELS
from tdopt.lowering.kernel_builder import KernelBuilder, memref as memref_type

ALIAS_OPS = (train.ReshapeOp, train.SqueezeOp, train.UnsqueezeOp)


def _may_overwrite(param: train.ParamOp, v: SSAValue, writer: Operation, ret: func.ReturnOp,
                   position: dict[Operation, int]) -> bool:
    """The returned `v`, computed by `writer`, may be written over
    `param`'s buffer: the parameter itself is not returned, `v` is returned
    once, and no op after `writer` reads the parameter."""
    if param.result in ret.operands or list(ret.operands).count(v) > 1:
        return False
    return all(
        use.operation is not ret and position.get(use.operation, -1) <= position[writer]
        for use in _readers(param.result)
    )


def in_place_updates(block, ret: func.ReturnOp) -> dict[SSAValue, train.ParamOp]:
    """Returned `param - update` values (SGD) that may overwrite the
    parameter: elementwise with the parameter's own shape, and no op after
    the update reads the parameter."""
    position = {op: i for i, op in enumerate(block.ops)}
    found: dict[SSAValue, train.ParamOp] = {}
    for v in ret.operands:
        sub = v.owner
        if not isinstance(sub, train.SubOp) or not isinstance(sub.lhs.owner, train.ParamOp):
            continue
        param = sub.lhs.owner
        if sub.lhs.type != sub.result.type or param in found.values():
            continue
        if _may_overwrite(param, v, sub, ret, position):
            found[v] = param
    return found


def in_place_accumulations(block, ret: func.ReturnOp) -> dict[SSAValue, train.ParamOp]:
    """Returned `gemm(A, B, C = W)` values (alpha = beta = 1, the result of
    W's type; train-fuse-weight-update writes the SGD update of a weight so)
    that may accumulate into the parameter W in place: the same rules as
    `in_place_updates`, and neither A nor B reads W's buffer."""
    position = {op: i for i, op in enumerate(block.ops)}
    taken = set(in_place_updates(block, ret).values())
    found: dict[SSAValue, train.ParamOp] = {}
    for v in ret.operands:
        gemm = v.owner
        if not isinstance(gemm, train.GemmOp) or gemm.c is None:
            continue
        param = gemm.c.owner
        if not isinstance(param, train.ParamOp) or param in taken or param in found.values():
            continue
        if gemm.c.type != gemm.result.type or any(
            f is not None and f.value.data != 1.0 for f in (gemm.alpha, gemm.beta)
        ):
            continue
        views = {param.result} | {u.operation.results[0] for u in _readers(param.result)
                                  if isinstance(u.operation, ALIAS_OPS)}
        if gemm.a in views or gemm.b in views:
            continue
        if _may_overwrite(param, v, gemm, ret, position):
            found[v] = param
    return found


def _readers(value: SSAValue) -> list:
    """Uses of a buffer, through the reshape-like ops that alias it."""
    uses = []
    for use in value.uses:
        uses.append(use)
        if isinstance(use.operation, ALIAS_OPS):
            uses.extend(_readers(use.operation.results[0]))
    return uses


class LoweringError(DiagnosticException):
    """An op or type the lowering cannot express, with the op for location."""

    def __init__(self, message: str, op: Operation | None = None):
        super().__init__(message)
        self.op = op


def program_weights(module: ModuleOp) -> dict[str, np.ndarray]:
    """The values of the parameters without an inline value, from the
    module's weights file; every parameter must have one (a program with an
    uninitialised parameter would run on garbage). A relative path is read
    from the current directory: tdopt makes it absolute when it parses a
    file, other drivers (stock xdsl-opt) do not."""
    if all(op.value is not None for op in module.walk() if isinstance(op, train.ParamOp)):
        return {}  # every value inline: the weights file is not read
    try:
        return load_weights(module, os.getcwd())
    except WeightsError as e:
        message = e.message
        attr = module.attributes.get(WEIGHTS_ATTR)
        if "not found" in message and isinstance(attr, StringAttr) and not os.path.isabs(attr.data):
            message += (
                f"; the relative path is read from the current directory {os.getcwd()}: "
                "run from the .mlir file's folder, or use tdopt, which resolves it "
                "against the input file"
            )
        raise LoweringError(f"convert-train-to-linalg: {message}", e.op) from None


def symbol_for(name: str, taken: set[str]) -> str:
    """An assembler-safe symbol for a tensor name, unique in the module."""
    base = re.sub(r"[^A-Za-z0-9_]", "_", name)
    if not base or base[0].isdigit():
        base = "t_" + base
    sym, n = base, 1
    while sym in taken:
        n += 1
        sym = f"{base}_{n}"
    taken.add(sym)
    return sym


def device_type(t: Attribute, op: Operation | None = None) -> MemRefType:
    """The memref a tensor lives in on the device (rank 0 -> 1 element;
    integer labels -> i32, since rv32 loads words)."""
    if not isinstance(t, TensorType):
        raise LoweringError(f"expected a tensor, got {t}", op)
    et = t.element_type
    if isinstance(et, IntegerType):
        et = i32
    elif not isinstance(et, Float32Type):
        raise LoweringError(
            f"{et} tensors cannot be lowered to rv32imf (only f32 and integer labels)", op
        )
    return memref_type(tuple(t.get_shape()), et)


def global_init(value: Attribute, t: MemRefType) -> Attribute:
    """A tensor's initial value as the initial value of its global `t`:
    the same elements with the global's shape and element type, as upstream
    MLIR's memref.global verifier requires (a rank-0 `dense` initialises a
    1-element memref; integer tensors are stored as i32). Splats stay splats."""
    if not isinstance(value, DenseIntOrFPElementsAttr):
        return value
    et = t.element_type
    data = value.data
    if value.get_element_type() != et:
        # integer constants (labels, indices) are words on rv32
        values = train.numpy_from_dense(value).reshape(-1)
        data = BytesAttr(values.astype(train.numpy_dtype(et).newbyteorder("<")).tobytes())
    shape = tuple(t.get_shape())
    if len(data.data) // (et.bitwidth // 8) not in (1, int(np.prod(shape))):  # type: ignore[attr-defined]
        raise LoweringError(f"initial value {value.type} does not fill {t}")
    return DenseIntOrFPElementsAttr(TensorType(et, shape), data)


class FunctionLowering:
    def __init__(self, module: ModuleOp, f: func.FuncOp, kernels: dict[str, tuple]):
        self.module = module
        self.f = f
        self.kernels = kernels
        self.taken: set[str] = {
            op.sym_name.data for op in module.ops if hasattr(op, "sym_name")
        } | set(kernels)
        self.globals: list[memref.GlobalOp] = []
        self.step: list[Operation] = []
        self.buffers: dict[SSAValue, SSAValue] = {}
        self.inplace: dict[SSAValue, train.ParamOp] = {}
        self.weights = program_weights(module)

    def add_global(self, name: str, t: MemRefType, role: str, init: Attribute) -> str:
        sym = symbol_for(name, self.taken)
        g = memref.GlobalOp.get(StringAttr(sym), t, global_init(init, t), StringAttr("public"))
        g.attributes[ROLE] = role_attr(role)
        g.attributes[TENSOR] = StringAttr(name)
        self.globals.append(g)
        return sym

    def get_global(self, sym: str, t: MemRefType) -> SSAValue:
        op = memref.GetGlobalOp(sym, t)
        self.step.append(op)
        return op.memref

    def run(self) -> None:
        f = self.f
        block = f.body.block
        for name, arg in zip(argument_names(f), block.args):
            t = device_type(arg.type, f)
            sym = self.add_global(name, t, "input", UnitAttr())
            self.buffers[arg] = self.get_global(sym, t)
        ret = block.last_op
        assert isinstance(ret, func.ReturnOp)
        outputs: dict[SSAValue, tuple[str, MemRefType]] = {}
        copies: list[tuple[SSAValue, str, MemRefType]] = []
        self.inplace = in_place_updates(block, ret)
        # fused weight gradient + SGD update (train-fuse-weight-update)
        self.inplace.update(in_place_accumulations(block, ret))
        aliases: list[tuple[memref.GlobalOp, train.ParamOp]] = []
        for name, v in zip(result_names(f), ret.operands):
            t = device_type(v.type, ret)
            sym = self.add_global(name, t, "output", UnitAttr())
            if v in self.inplace:
                # the update is written over the parameter; the output name is
                # an alias of the parameter's bytes
                aliases.append((self.globals[-1], self.inplace[v]))
                continue
            direct = isinstance(v.owner, Operation) and not isinstance(
                v.owner, (train.ParamOp, train.ConstantOp, *ALIAS_OPS)
            ) and v.owner.parent is block
            if direct and v not in outputs:
                outputs[v] = (sym, t)
            else:
                copies.append((v, sym, t))
        for op in block.ops:
            if op is ret:
                break
            self.lower_op(op, outputs)
        for g, param in aliases:
            src = self.buffers[param.result].owner
            assert isinstance(src, memref.GetGlobalOp)
            # an output global stored in another global's bytes (in-place update)
            g.attributes[ALIAS_OF] = SymbolRefAttr(src.name_.string_value())
        for v, sym, t in copies:
            dst = self.get_global(sym, t)
            self.call_kernel(train_kernels.copy_kernel, "copy", [dst, self.buffers[v]], {}, None)
        # the entry function: no arguments, no results
        body = list(self.step)
        for op in list(block.ops):
            op.detach()
        for op in reversed(list(block.ops)):
            op.erase()
        new_f = func.FuncOp(f.sym_name.data, ([], []))
        new_f.attributes.update(
            {k: v for k, v in f.attributes.items() if k.startswith("train.")}
        )
        new_f.attributes[ENTRY] = UnitAttr()
        for op in body:
            new_f.body.block.add_op(op)
        new_f.body.block.add_op(func.ReturnOp())
        self.module.body.block.insert_op_before(new_f, f)
        for g in self.globals:
            self.module.body.block.insert_op_before(g, new_f)
        f.detach()
        f.erase(safe_erase=False)

    def lower_op(self, op: Operation, outputs: dict[SSAValue, tuple[str, MemRefType]]) -> None:
        if isinstance(op, train.ParamOp):
            t = device_type(op.result.type, op)
            init: Attribute = op.value if op.value is not None else UnitAttr()
            if op.value is None and op.param_name in self.weights:
                # the program carries its parameters' values
                init = train.dense_from_numpy(
                    self.weights[op.param_name].astype(np.float32)
                )
            sym = self.add_global(op.param_name, t, "param", init)
            self.buffers[op.result] = self.get_global(sym, t)
            return
        if isinstance(op, train.ConstantOp):
            t = device_type(op.result.type, op)
            sym = self.add_global(f"const_{len(self.globals)}", t, "const", op.value)
            self.buffers[op.result] = self.get_global(sym, t)
            return
        if isinstance(op, ALIAS_OPS):
            src = self.buffers[op.operands[0]]
            cast = view_op(src, device_type(op.results[0].type, op))
            self.step.append(cast)
            self.buffers[op.results[0]] = cast.results[0]
            return
        if isinstance(op, train.GemmOp) and op.result in self.inplace:
            # W += op(A) op(B) straight into the weight (in_place_accumulations)
            w = self.buffers[self.inplace[op.result].result]
            self.buffers[op.result] = w
            self.call_kernel(
                train_kernels.lower_gemm_accumulate,
                "gemm_accumulate",
                [w, self.buffers[op.a], self.buffers[op.b]],
                dict(op.properties),
                op,
            )
            return
        kernels = {**train_kernels.KERNELS, **GRAD_KERNELS, **ELEMENTWISE_KERNELS}
        lower = kernels.get(type(op))
        if lower is None:
            raise LoweringError(
                f"'{op.name}' has no lowering to linalg (supported: "
                + ", ".join(sorted(c.name for c in kernels))
                + ")",
                op,
            )
        # one buffer per result (grad.layernorm has three); kernels take all
        # outputs first, then the inputs
        outs: list[SSAValue] = []
        for result in op.results:
            t = device_type(result.type, op)
            if result in self.inplace:
                out = self.buffers[self.inplace[result].result]
            elif result in outputs:
                out = self.get_global(outputs[result][0], t)
            else:
                alloc = memref.AllocOp.get(t.element_type, shape=t.get_shape())
                self.step.append(alloc)
                out = alloc.memref
            self.buffers[result] = out
            outs.append(out)
        ins = [self.buffers[v] for v in op.operands]
        # "relu" for train.relu, "grad_relu" for grad.relu: distinct kernel names
        short = op.name.removeprefix("train.").replace(".", "_")
        self.call_kernel(lower, short, [*outs, *ins], dict(op.properties), op)

    def call_kernel(
        self,
        lower: Callable[[KernelBuilder, Operation | None], None],
        short: str,
        args: list[SSAValue],
        props: dict[str, Attribute],
        op: Operation | None,
    ) -> None:
        types = [a.type for a in args]
        key = short + "|" + "|".join(str(t) for t in types) + "|" + "|".join(
            f"{k}={v}" for k, v in sorted(props.items())
        )
        known = self.kernels.get(key)
        if known is None:
            name = symbol_for(f"k_{short}_{len(self.kernels)}", self.taken)
            kb = KernelBuilder(name, types)  # type: ignore[arg-type]
            lower(kb, op)
            parts = kb.finish()
            for part, _ in parts:
                part.attributes[KERNEL] = StringAttr(short)
                if op is not None:
                    # a failure inside the kernel is reported at its (first) op
                    part.location = op.location
                self.taken.add(part.sym_name.data)
                self.module.body.block.add_op(part)
            known = (parts, kb.scratch_types)
            self.kernels[key] = known
        parts, scratch_types = known
        # scratch buffers: allocated by the caller, live only for the calls
        for t in scratch_types:
            alloc = memref.AllocOp.get(t.element_type, shape=t.get_shape())
            alloc.attributes[SCRATCH] = UnitAttr()
            self.step.append(alloc)
            args.append(alloc.memref)
        for part, roots in parts:
            call = func.CallOp(part.sym_name.data, [args[i] for i in roots], [])
            if op is not None:
                call.location = op.location
            self.step.append(call)


@dataclass(frozen=True)
class ConvertTrainToLinalgPass(ModulePass):
    """Bufferize a train function into globals, buffers and linalg kernels."""

    name = "convert-train-to-linalg"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        kernels: dict[str, tuple] = {}
        for f in [o for o in op.ops if isinstance(o, func.FuncOp)]:
            if any(o.dialect_name() == "train" for o in f.body.walk()) or any(
                isinstance(a.type, TensorType) for a in f.body.block.args
            ):
                try:
                    FunctionLowering(op, f, kernels).run()
                except LoweringError:
                    raise
