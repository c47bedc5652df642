"""`kernel-fold-epilogue` (linalg level, after `tier-tile-l1` and
`kernel-fuse-fill`, before `kernel-dedup`): a tiled call whose epilogue
kernel runs on every tile (its grid cuts no reduction loop, so each tile of
the product's output is complete after the kernel) gets kernels that carry
the epilogue themselves, as a `cluster.epilogue` after their generic.
`convert-cluster-epilogue` then computes the epilogue on each output
element where the product stores its final value: a bias add and
a ReLU cost two instructions an element in the register block instead of
a loop over the tile with its own loads, stores, fork and join.

For each such call, its kernel (and first kernel) is copied, taking every
operand of the call (the epilogue kernel's arguments, of which the
kernel's are the first), with the epilogue kernel's loop nest as the
`cluster.epilogue`; the call runs the copies and no epilogue kernel.
Folded when the epilogue kernel is one generic over the output tile's
dimensions that reads or writes the product's output T (the tile kernel's
generic output) once, T's tile has no dimension of one (those become
views before the contraction is loops, and the epilogue finds T's stores
on T itself), and the product goes through memref_stream
(`streams_once_reordered`: its sums are loop-carried, stored once).

When nothing after the call reads T (a pre-activation, which only the
ReLU read; a gradient before the ReLU's mask), the product starts from
zero in the kernel and the epilogue does not write T, T is not stored
(`discard_result`) nor copied out: the call uses its home in place and
never touches it, and the module's `dma_out` drops by what its copies
moved. Kernels no call uses any more are erased.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import arith, func, memref
from xdsl.dialects.linalg import ops as linalg_ops
from xdsl.dialects.builtin import (
    DenseArrayBase, FunctionType, IndexType, IntegerAttr, MemRefType, ModuleOp, StringAttr, SymbolRefAttr,
    UnitAttr, i32,
)
from xdsl.ir import BlockArgument, SSAValue
from xdsl.passes import ModulePass

from tdopt.analyses.affine_access import view_root
from tdopt.analyses.kernel_forms import fused_name, kernel_functions, memory_of, single_generic, uncalled
from tdopt.analyses.streaming import streams_once_reordered
from tdopt.analyses.views import VIEW_OPS
from tdopt.dialects.cluster import MEMORY_PLAN, EpilogueOp, memory_plan
from tdopt.dialects.tier import RESIDENT, TiledCallOp, int_array


def _contraction(kernel: func.FuncOp) -> linalg_ops.GenericOp | None:
    """The kernel's one generic, when the rest of its body is views, the
    return and what kernel-fuse-fill put before it (a fill of its output)."""
    gs = [o for o in kernel.body.block.ops if isinstance(o, linalg_ops.GenericOp)]
    rest = [
        o for o in kernel.body.block.ops
        if not isinstance(o, (linalg_ops.GenericOp, linalg_ops.FillOp, arith.ConstantOp, func.ReturnOp, *VIEW_OPS))
    ]
    return gs[0] if len(gs) == 1 and not rest else None


def _starts_from_fill(kernel: func.FuncOp, out: BlockArgument) -> bool:
    """The kernel fills its output before its generic (kernel-fuse-fill):
    it never reads what the output held."""
    return any(isinstance(o, linalg_ops.FillOp) and o.outputs[0] is out for o in kernel.body.block.ops)


def _with_epilogue(
    kernel: func.FuncOp, epilogue: func.FuncOp, name: str, discard: bool = False
) -> func.FuncOp | None:
    """A copy of `kernel` named `name` that takes `epilogue`'s arguments
    and ends with its loop nest as a `cluster.epilogue` (`discard`: that
    does not store the product's output, which then must be filled by the
    kernel and not written by the epilogue); None if they do not fit
    together (the conditions of the module docstring)."""
    g, eg = _contraction(kernel), single_generic(epilogue)
    if g is None or eg is None or len(g.outputs) != 1:
        return None
    # convert-cluster-epilogue finds the final stores of accumulators that
    # memref_stream's loops carry in registers
    if not streams_once_reordered(g):
        return None
    out = g.outputs[0]
    if not isinstance(out, BlockArgument):
        return None
    k_types = list(kernel.function_type.inputs.data)
    e_types = list(epilogue.function_type.inputs.data)
    if e_types[: len(k_types)] != k_types:
        return None
    t_type = out.type
    assert isinstance(t_type, MemRefType)
    if 1 in t_type.get_shape():
        return None
    e_operands = [*eg.inputs, *eg.outputs]
    if not all(isinstance(v, BlockArgument) for v in e_operands):
        return None
    reads_t = [i for i, v in enumerate(e_operands) if v.index == out.index]  # type: ignore[attr-defined]
    if len(reads_t) != 1:
        return None
    if discard and (reads_t[0] >= len(eg.inputs) or not _starts_from_fill(kernel, out)):
        return None
    fused = kernel.clone()
    fused.sym_name = StringAttr(name)
    block = fused.body.block
    for t in e_types[len(k_types):]:
        block.insert_arg(t, len(block.args))
    fused.function_type = FunctionType.from_lists(e_types, [])
    args = [block.args[v.index] for v in e_operands]  # type: ignore[attr-defined]
    body = eg.body.clone()
    n_in = len(eg.inputs)
    op = EpilogueOp.create(
        operands=args,
        properties={
            "result": IntegerAttr(reads_t[0], IndexType()),
            "indexing_maps": eg.indexing_maps,
            "operandSegmentSizes": DenseArrayBase.from_list(i32, [n_in, len(args) - n_in]),
            **({"discard_result": UnitAttr()} if discard else {}),
        },
        regions=[body],
    )
    ret = block.last_op
    assert ret is not None
    block.insert_op_before(op, ret)
    return fused


def _output_operand(kernel: func.FuncOp) -> int | None:
    """The argument of a tile kernel that its contraction writes."""
    g = _contraction(kernel)
    if g is None or len(g.outputs) != 1 or not isinstance(g.outputs[0], BlockArgument):
        return None
    return g.outputs[0].index


def _dead_after(call: TiledCallOp, t: SSAValue) -> bool:
    """`t` is a buffer of the step (not a global) that no op after `call`
    reads or writes, through any view."""
    if not isinstance(view_root(t).owner, memref.AllocOp):
        return False
    memory = memory_of(t)
    op = call.next_op
    while op is not None:
        if any(isinstance(v.type, MemRefType) and memory_of(v) == memory for v in op.operands):
            return False
        op = op.next_op
    return True


@dataclass(frozen=True)
class KernelFoldEpiloguePass(ModulePass):
    """Tiled calls whose epilogue runs on every tile -> kernels that carry it."""

    name = "kernel-fold-epilogue"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        kernels = kernel_functions(op)
        folded: dict[tuple[str, str, bool], str | None] = {}
        touched: set[str] = set()
        plan = memory_plan(op)
        dropped_out = 0

        def fold(kernel: str, epilogue: str, discard: bool) -> str | None:
            """The copy of `kernel` carrying `epilogue`, made once."""
            key = (kernel, epilogue, discard)
            if key not in folded:
                new = _with_epilogue(kernels[kernel], kernels[epilogue], fused_name(kernels, kernel), discard)
                folded[key] = None if new is None else new.sym_name.data
                if new is not None:
                    op.body.block.add_op(new)
                    kernels[new.sym_name.data] = new
            return folded[key]

        for call in [c for c in op.walk() if isinstance(c, TiledCallOp)]:
            if call.epilogue_callee is None or call.epilogue_dim_values():
                continue
            epilogue = call.epilogue_callee.string_value()
            t = _output_operand(kernels[call.callee.string_value()])
            # a first kernel exists only where the reduction is cut: then the
            # kernel reads T's partial sums, which must be stored
            discard = t is not None and call.first_callee is None and _dead_after(call, call.args[t])
            if discard and fold(call.callee.string_value(), epilogue, True) is None:
                discard = False  # the fold's conditions for discarding T fail
            props = ["callee"] + (["first_callee"] if call.first_callee is not None else [])
            names = {p: fold(call.properties[p].string_value(), epilogue, discard) for p in props}  # type: ignore[attr-defined]
            if None in names.values():
                continue
            for prop, name in names.items():
                touched.add(call.properties[prop].string_value())  # type: ignore[attr-defined]
                call.properties[prop] = SymbolRefAttr(name)  # type: ignore[arg-type]
            touched.add(epilogue)
            del call.properties["epilogue_callee"]
            call.properties.pop("epilogue_dims", None)
            if discard:  # T is neither written nor copied: used in place, untouched
                assert t is not None
                before = call.dma_bytes()[1]
                modes = list(call.operand_modes())
                modes[t] = RESIDENT
                call.modes = int_array(modes)
                dropped_out += before - call.dma_bytes()[1]
        if plan is not None and dropped_out and plan.get("dma_out") is not None:
            op.attributes[MEMORY_PLAN] = plan.updated(dma_out=plan.get("dma_out") - dropped_out)
        for kernel in uncalled(op, kernels, touched):
            kernel.detach()
            kernel.erase()
