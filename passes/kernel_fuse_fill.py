"""`kernel-fuse-fill` (linalg level, after `plan-memory` and `tier-tile-l1`):
the call of a kernel that only fills a buffer with a constant (the zeros a
matmul or a convolution accumulates into) and the call of the reduction
kernel that accumulates into that buffer next become one call: the
reduction kernel with a `linalg.fill` of its output right before its
generic (of the view the generic writes, if it sees the buffer through
one), which `memref-stream-fold-fill` turns into the accumulators' initial
value. The
buffer is then written once instead of filled, read back and written: the
fill's call (its tiles, its fork and its DMA) is gone, and a tiled
reduction copies its output out only (mode OUT instead of IN | OUT).

Fused when
- the fill kernel is one `linalg.generic` without inputs whose body yields a
  constant, and its call covers the whole buffer (`analyses/kernel_forms.py`);
- the next op of the entry that touches the buffer's memory (the buffer, or
  any view of the buffer its views start from, made before or after) is a
  call of a kernel whose single generic reduces into it: the buffer is its
  only output and not one of its inputs, the output map is distinct
  parallel loops, and the generic goes through the memref_stream level
  (`worth_streaming`), where the fold happens;
- that call computes every element of the buffer whole: a plain call, or a
  tiled call whose grid does not cut the reduction (no grid dimension along
  which the output's tile stays) and whose tiles cover the buffer.

A tiled call whose grid cuts the reduction (the output's tile stays along
some grid dimensions) is fused too when those dimensions are the innermost
ones that have more than one tile, so each output tile is computed by one
run of consecutive tiles: the call keeps its kernel and gains the fused one
as `first_callee`, run on the first tile of each run (grid index 0 in each
of those dimensions, `first_dims`). The output is then copied out only,
never filled nor copied in. (A reduction cut by an outer grid dimension
revisits an output tile after others and keeps its fill.) This fusion adds
a kernel rather than replacing one, so it is made only when the calls of
the kernel whose reduction into that operand is cut write at least
`first_min_bytes` (64 KiB by default) of output together: below, their
fills and copies in cost a few thousand cycles, while each extra
contraction kernel costs 0.1 to 0.5 s of compile time and its program text
(a MobileNetV1 step had nine, each for one call of a few KiB: 3.2 s of its
24 s; a batch-32 Deep-AE's six layers of one shape share one and gain 1 %).

The module's memory plan loses the fill's tiled call and the DMA bytes no
longer moved (`tiled_calls`, `dma_in`, `dma_out`). Kernels no call uses any
more are erased.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import arith, func
from xdsl.dialects.builtin import MemRefType, ModuleOp, StringAttr, SymbolRefAttr
from xdsl.dialects.linalg import ops as linalg_ops
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter

from tdopt.analyses.affine_access import view_root
from tdopt.analyses.kernel_forms import fill_value, kernel_functions, reduces_into, single_generic, uncalled
from tdopt.analyses.streaming import worth_streaming
from tdopt.dialects.cluster import ENTRY, MEMORY_PLAN, memory_plan
from tdopt.dialects.tier import IN, RESIDENT, TiledCallOp, int_array

Call = func.CallOp | TiledCallOp


def _reduces_into(kernel: func.FuncOp, out: int) -> bool:
    """Argument `out` of the kernel is the only output of its single
    generic, written whole, a reduction the memref_stream level takes."""
    g = reduces_into(kernel, out)
    return g is not None and worth_streaming(g)


def _whole(call: Call, k: int, buffer: SSAValue) -> bool:
    """One run of `call` writes operand `k` whole, each element once (its
    kernel covers the buffer it sees): a plain call; a tiled call with the
    operand in place and one tile; or a grid whose tiles each hold a
    different part of the buffer (no grid dimension keeps the tile: a
    reduction is not cut) and together all of it."""
    if isinstance(call, func.CallOp):
        return True
    grid = call.grid_values()
    if call.operand_modes()[k] == RESIDENT:  # the kernel works on the buffer itself
        return math.prod(grid) == 1
    if call.home_offset_values()[k] != 0:
        return False
    step = call.operand_steps()[k]
    if any(n > 1 and s == 0 for n, s in zip(grid, step)):
        return False
    return math.prod(grid) * call.tile_bytes(k) == _bytes(buffer)


def _bytes(buffer: SSAValue) -> int:
    t = buffer.type
    assert isinstance(t, MemRefType)
    return t.element_count() * t.element_type.bitwidth // 8  # type: ignore[attr-defined]


def _cut_reduction(call: Call, k: int, buffer: SSAValue) -> tuple[int, ...] | None:
    """The grid dimensions along which operand `k`'s tile stays, if `call`
    is a tiled call whose grid cuts the reduction into operand `k` only
    along its innermost dimensions (of more than one tile), each tile of the
    operand computed by one run of consecutive tiles, and whose tiles
    together cover the buffer; else None."""
    if not isinstance(call, TiledCallOp) or call.operand_modes()[k] == RESIDENT:
        return None
    if call.home_offset_values()[k] != 0:
        return None
    grid, step = call.grid_values(), call.operand_steps()[k]
    cut = tuple(d for d, (n, st) in enumerate(zip(grid, step)) if n > 1 and st == 0)
    moved = [d for d, n in enumerate(grid) if n > 1 and d not in cut]
    if not cut or (moved and max(moved) > min(cut)):
        return None
    if math.prod(grid[d] for d in moved) * call.tile_bytes(k) != _bytes(buffer):
        return None
    return cut


def _aliases(block_ops: list[Operation], buffer: SSAValue) -> set[SSAValue]:
    """Every value of the entry that is `buffer`'s memory: the buffer its
    chain of views starts from, and every view of that (made before or
    after the fill)."""
    out = {view_root(buffer)}
    for op in block_ops:
        if not isinstance(op, (func.CallOp, TiledCallOp)) and any(o in out for o in op.operands):
            out |= set(op.results)
    return out


def _fused_kernel(kernel: func.FuncOp, value: Attribute, name: str) -> func.FuncOp:
    """A copy of `kernel` that fills its generic's output (as the generic
    sees it, a view maybe) with `value` right before the generic."""
    fused = kernel.clone()
    fused.sym_name = StringAttr(name)
    g = single_generic(fused)
    assert g is not None
    const = arith.ConstantOp(value)
    fill = linalg_ops.FillOp((const.result,), (g.outputs[0],), res=())
    Rewriter.insert_op([const, fill], InsertPoint.before(g))
    return fused


def _with_callee(call: Call, callee: str, out: int, first_dims: tuple[int, ...] | None) -> Call:
    """`call` of `callee` instead (with `first_dims`: of `callee` on the
    tiles whose index is 0 in those grid dimensions, its own kernel on the
    others); a tiled call copies operand `out` out only (a resident operand
    stays in place)."""
    new = call.clone()
    if first_dims is None:
        new.callee = SymbolRefAttr(callee)
    else:
        assert isinstance(new, TiledCallOp)
        new.first_callee = SymbolRefAttr(callee)
        new.first_dims = int_array(first_dims)
    if isinstance(new, TiledCallOp):
        modes = list(new.operand_modes())
        modes[out] &= ~IN
        new.modes = int_array(modes)
    return new


def _callee(call: Call) -> str:
    return call.callee.string_value()


@dataclass(frozen=True)
class KernelFuseFillPass(ModulePass):
    """A fill kernel's call and the reduction accumulating into its buffer
    next -> one call of the reduction starting from the fill's value."""

    name = "kernel-fuse-fill"

    # a cut reduction gets a first kernel when the calls it would serve
    # write this many bytes of output together
    first_min_bytes: int = 65536

    @staticmethod
    def _cut_output_bytes(op: ModuleOp, kernels: dict[str, func.FuncOp]) -> dict[tuple[str, int], int]:
        """Per (kernel, operand it reduces into), the output bytes of its
        tiled calls that cut that reduction along their innermost grid
        dimensions: what one first kernel would serve."""
        total: dict[tuple[str, int], int] = {}
        for call in op.walk():
            kernel = kernels.get(_callee(call)) if isinstance(call, TiledCallOp) else None
            if kernel is None:
                continue
            for k, arg in enumerate(call.args):
                # the cheap check first: most calls cut no reduction
                if _cut_reduction(call, k, arg) is not None and _reduces_into(kernel, k):
                    key = (_callee(call), k)
                    total[key] = total.get(key, 0) + _bytes(arg)
        return total

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        kernels = kernel_functions(op)
        fused_names: dict[tuple[str, int, str], str] = {}
        cut_bytes = self._cut_output_bytes(op, kernels)
        saved_in = saved_out = fewer_tiled = 0
        for entry in [f for f in op.ops if isinstance(f, func.FuncOp) and ENTRY in f.attributes]:
            block = entry.body.block
            for fill in [o for o in block.ops if isinstance(o, (func.CallOp, TiledCallOp))]:
                if fill.parent is None or len(fill.operands) != 1:  # gone: fused before
                    continue
                fill_kernel = kernels.get(_callee(fill))
                value = fill_value(fill_kernel) if fill_kernel is not None else None
                buffer = fill.operands[0]
                if value is None or not _whole(fill, 0, buffer):
                    continue
                # the block as it is now (earlier fusions replaced calls)
                ops = list(block.ops)
                aliases = _aliases(ops, buffer)
                later = ops[ops.index(fill) + 1:]
                user = next((o for o in later if any(v in aliases for v in o.operands)), None)
                if not isinstance(user, (func.CallOp, TiledCallOp)):
                    continue
                positions = [k for k, v in enumerate(user.operands) if v in aliases]
                kernel = kernels.get(_callee(user))
                if kernel is None or len(positions) != 1 or user.operands[positions[0]] is not buffer:
                    continue
                out = positions[0]
                if not _reduces_into(kernel, out):
                    continue
                first_dims = None
                if not _whole(user, out, buffer):
                    first_dims = _cut_reduction(user, out, buffer)
                    if first_dims is None or user.first_callee is not None:
                        continue
                    if cut_bytes.get((_callee(user), out), 0) < self.first_min_bytes:
                        continue
                key = (_callee(user), out, str(value))
                if key not in fused_names:
                    name = f"{_callee(user)}_from_fill"
                    while name in kernels:
                        name += "_"
                    fused = _fused_kernel(kernel, value, name)
                    op.body.block.insert_op_after(fused, kernel)
                    kernels[name] = fused
                    fused_names[key] = name
                new = _with_callee(user, fused_names[key], out, first_dims)
                if isinstance(user, TiledCallOp):
                    assert isinstance(new, TiledCallOp)
                    saved_in += user.dma_bytes()[0] - new.dma_bytes()[0]
                if isinstance(fill, TiledCallOp):
                    saved_out += fill.dma_bytes()[1]
                    fewer_tiled += 1
                Rewriter.replace_op(user, new, list(new.results))
                Rewriter.erase_op(fill)
        for kernel in uncalled(op, kernels, set(kernels)):
            Rewriter.erase_op(kernel)
        plan = memory_plan(op)
        if plan is not None and (saved_in or saved_out or fewer_tiled):
            fields = {
                "tiled_calls": (plan.get("tiled_calls") or 0) - fewer_tiled,
                "dma_in": (plan.get("dma_in") or 0) - saved_in,
                "dma_out": (plan.get("dma_out") or 0) - saved_out,
            }
            op.attributes[MEMORY_PLAN] = plan.updated(**fields)
