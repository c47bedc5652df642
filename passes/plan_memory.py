"""`plan-memory`: a static, liveness-based placement of every buffer of an
entry function (`memref.alloc` after `convert-train-to-linalg`) inside one
arena global, so the program never allocates at run time.

Each alloc gets `tdopt.offset` (bytes from the arena start); aliases
(reshape views) extend the life of the buffer they view; scratch buffers live
only for the call that uses them. Buffers whose lifetimes do not overlap
share bytes. The arena is `memref.global @__tdopt_arena` with `tdopt.tier`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from xdsl.context import Context
from xdsl.dialects import func, memref
from xdsl.dialects.builtin import (
    IntegerAttr,
    MemRefType,
    ModuleOp,
    StringAttr,
    UnitAttr,
    UnrealizedConversionCastOp,
    i8,
    i64,
)
from xdsl.ir import SSAValue
from xdsl.passes import ModulePass
from xdsl.utils.exceptions import PassFailedException

ARENA = "__tdopt_arena"
OFFSET = "tdopt.offset"
ALIGN = 8  # bytes: the DMA's 64-bit port


def byte_size(t: MemRefType) -> int:
    n = 1
    for s in t.get_shape():
        n *= s
    width = t.element_type.bitwidth if hasattr(t.element_type, "bitwidth") else 32
    return n * max(1, width // 8)


@dataclass
class Interval:
    alloc: memref.AllocOp
    size: int
    start: int
    end: int
    offset: int = -1


@dataclass
class MemoryPlan:
    intervals: list[Interval] = field(default_factory=list)
    peak: int = 0


def plan_function(f: func.FuncOp) -> MemoryPlan:
    ops = list(f.body.block.ops)
    position = {op: i for i, op in enumerate(ops)}
    root: dict[SSAValue, memref.AllocOp] = {}
    intervals: dict[memref.AllocOp, Interval] = {}
    for i, op in enumerate(ops):
        if isinstance(op, memref.AllocOp):
            t = op.memref.type
            assert isinstance(t, MemRefType)
            size = -(-byte_size(t) // ALIGN) * ALIGN
            intervals[op] = Interval(op, size, i, i)
            root[op.memref] = op
        elif isinstance(op, UnrealizedConversionCastOp) and op.inputs[0] in root:
            root[op.results[0]] = root[op.inputs[0]]
    for value, alloc in root.items():
        for use in value.uses:
            user = use.operation
            if user in position:
                iv = intervals[alloc]
                iv.end = max(iv.end, position[user])
    plan = MemoryPlan(list(intervals.values()))
    placed: list[Interval] = []
    # largest first, each at the lowest offset free during its lifetime
    for iv in sorted(plan.intervals, key=lambda v: (-v.size, v.start)):
        busy = sorted(
            (p.offset, p.offset + p.size)
            for p in placed
            if not (p.end < iv.start or iv.end < p.start)
        )
        offset = 0
        for lo, hi in busy:
            if offset + iv.size <= lo:
                break
            offset = max(offset, hi)
        iv.offset = offset
        placed.append(iv)
        plan.peak = max(plan.peak, offset + iv.size)
    return plan


@dataclass(frozen=True)
class PlanMemoryPass(ModulePass):
    """Place every buffer of the entry functions in one static arena."""

    name = "plan-memory"

    # bytes of L2 available to data (2 MiB, of which code and the runtime
    # take a share; the default leaves 256 KiB for them)
    capacity: int = 2 * 1024 * 1024 - 256 * 1024
    # bytes of L1 the data may use directly (the rest of a 128 KiB L1 holds
    # the eight 1 KiB core stacks, with room to spare); 0 keeps all in L2
    l1_budget: int = 96 * 1024

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        peak = 0
        for f in op.ops:
            if isinstance(f, func.FuncOp) and "tdopt.entry" in f.attributes:
                plan = plan_function(f)
                for iv in plan.intervals:
                    iv.alloc.attributes[OFFSET] = IntegerAttr(iv.offset, i64)
                f.attributes["tdopt.arena_bytes"] = IntegerAttr(plan.peak, i64)
                peak = max(peak, plan.peak)
        globals_ = [
            g
            for g in op.ops
            if isinstance(g, memref.GlobalOp)
            and isinstance(g.type, MemRefType)
            and "tdopt.alias_of" not in g.attributes
        ]
        if peak:
            arena = memref.GlobalOp.get(
                StringAttr(ARENA),
                MemRefType(i8, [peak]),
                UnitAttr(),
                StringAttr("public"),
                alignment=ALIGN,
            )
            arena.attributes["tdopt.role"] = StringAttr("arena")
            first = op.body.block.first_op
            assert first is not None
            op.body.block.insert_op_before(arena, first)
            globals_.insert(0, arena)
        # tiers: the arena (every kernel's temporaries) first, then the smaller
        # tensors, into L1 while the budget lasts; the rest stays in L2
        used = {"L1": 0, "L2": 0}
        for g in sorted(globals_, key=lambda g: (g.sym_name.data != ARENA, _padded(g))):
            size = _padded(g)
            tier = "L1" if used["L1"] + size <= self.l1_budget else "L2"
            g.attributes["tdopt.tier"] = StringAttr(tier)
            used[tier] += size
        data = sum(_padded(g) for g in globals_ if g.sym_name.data != ARENA)
        op.attributes["tdopt.data_bytes"] = IntegerAttr(data, i64)
        op.attributes["tdopt.arena_bytes"] = IntegerAttr(peak, i64)
        op.attributes["tdopt.l1_bytes"] = IntegerAttr(used["L1"], i64)
        op.attributes["tdopt.l2_bytes"] = IntegerAttr(used["L2"], i64)
        if used["L2"] > self.capacity:
            raise PassFailedException(
                f"plan-memory: the program needs {used['L2']} bytes of L2 (after "
                f"{used['L1']} bytes placed in L1; {data} bytes of parameters, inputs "
                f"and outputs and a {peak}-byte activation arena in all) but "
                f"{self.capacity} are available; spilling to L3 is not implemented yet"
            )


def _padded(g: memref.GlobalOp) -> int:
    t = g.type
    assert isinstance(t, MemRefType)
    return -(-byte_size(t) // ALIGN) * ALIGN
