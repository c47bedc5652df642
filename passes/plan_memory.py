"""`plan-memory`: a static, liveness-based placement of every buffer of an
entry function (`memref.alloc` after `convert-train-to-linalg`) inside one
arena global, so the program never allocates at run time.

Each alloc gets `cluster.offset` (bytes from the arena start); aliases
(reshape views) extend the life of the buffer they view; scratch buffers live
only for the call that uses them. Buffers whose lifetimes do not overlap
share bytes. The arena is `memref.global @__tdopt_arena`.

The tier each global (and the arena) is placed in becomes the memory space
of its type (`#tier.space<l1>`); a `memref.get_global` of it returns that
type and is followed by a `memref.memory_space_cast` to the plain type the
kernels take. The byte counts go to `cluster.memory_plan` on the module
and on each entry function.
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
    SymbolRefAttr,
    UnitAttr,
    i8,
    i64,
)
from xdsl.ir import SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import Rewriter
from xdsl.utils.exceptions import PassFailedException

from tdopt.analyses.tile_access import untileable_reason
from tdopt.analyses.views import VIEW_OPS
from tdopt.dialects.cluster import (
    ALIAS_OF,
    ENTRY,
    MEMORY_PLAN,
    OFFSET,
    ROLE,
    MemoryPlanAttr,
    Role,
    role_attr,
)
from tdopt.dialects.cluster import ARENA as ARENA_ATTR
from tdopt.dialects.cluster import ARENA_GLOBAL as ARENA
from tdopt.dialects.cluster import ARENA_L3_GLOBAL as ARENA_L3  # buffers spilled to L3
from tdopt.dialects.tier import in_tier
from tdopt.analyses.memory_plan import ALIGN, padded_bytes


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


def plan_function(f: func.FuncOp, only: set[memref.AllocOp] | None = None) -> MemoryPlan:
    """Offsets for the allocs of `f` (or those in `only`) by liveness."""
    ops = list(f.body.block.ops)
    position = {op: i for i, op in enumerate(ops)}
    root: dict[SSAValue, memref.AllocOp] = {}
    intervals: dict[memref.AllocOp, Interval] = {}
    for i, op in enumerate(ops):
        if isinstance(op, memref.AllocOp) and (only is None or op in only):
            t = op.memref.type
            assert isinstance(t, MemRefType)
            size = padded_bytes(t)
            intervals[op] = Interval(op, size, i, i)
            root[op.memref] = op
        elif isinstance(op, (*VIEW_OPS, memref.MemorySpaceCastOp)) and op.operands[0] in root:
            root[op.results[0]] = root[op.operands[0]]
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


def place_globals(functions: list[func.FuncOp], tiers: dict[memref.GlobalOp, str]) -> None:
    """Put each global in its tier: its type's memory space; each
    `memref.get_global` of it in `functions` returns that type, cast back
    to the plain type its users (kernel calls) take."""
    placed = {}
    for g, tier in tiers.items():
        t = g.type
        assert isinstance(t, MemRefType)
        placed[g.sym_name.data] = g.properties["type"] = in_tier(t, tier)
    for f in functions:
        for get in [o for o in f.body.block.ops if isinstance(o, memref.GetGlobalOp)]:
            name = get.name_.string_value()
            if name not in placed:
                continue
            plain = get.memref.type
            new = memref.GetGlobalOp(name, placed[name])
            cast = memref.MemorySpaceCastOp(new.memref, plain)  # type: ignore[arg-type]
            Rewriter.replace_op(get, [new, cast], [cast.dest])


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
    # beyond `capacity`, move the least-used tensors and buffers to L3 (only
    # the DMA reaches L3: for tiled builds, where every kernel that touches
    # them copies its tiles)
    spill_l3: bool = False

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        entries = [f for f in op.ops if isinstance(f, func.FuncOp) and ENTRY in f.attributes]
        if len(entries) > 1 and self.spill_l3:
            raise PassFailedException("plan-memory: spilling to L3 plans one entry function")
        plans = {f: plan_function(f) for f in entries}
        peak = max((p.peak for p in plans.values()), default=0)
        globals_ = [
            g
            for g in op.ops
            if isinstance(g, memref.GlobalOp)
            and isinstance(g.type, MemRefType)
            and ALIAS_OF not in g.attributes
        ]
        # tiers: the arena (every kernel's temporaries) first, then the smaller
        # tensors, into L1 while the budget lasts; the rest stays in L2
        tiers: dict[str, str] = {}
        used = {"L1": 0, "L2": 0, "L3": 0}
        sized = [(ARENA, peak)] if peak else []
        sized += sorted(((g.sym_name.data, _padded(g)) for g in globals_), key=lambda x: x[1])
        for name, size in sized:
            tier = "L1" if used["L1"] + size <= self.l1_budget else "L2"
            tiers[name] = tier
            used[tier] += size
        l3_arena = 0
        if used["L2"] > self.capacity and self.spill_l3:
            (f,) = entries
            peak, l3_arena = self._spill(f, plans[f], globals_, tiers, used)
        for f, plan in plans.items():
            for iv in plan.intervals:
                iv.alloc.attributes[OFFSET] = IntegerAttr(iv.offset, i64)
            f.attributes[MEMORY_PLAN] = MemoryPlanAttr.of(arena=plan.peak + l3_arena)
        first = op.body.block.first_op
        assert first is not None
        for name, size in ((ARENA, peak), (ARENA_L3, l3_arena)):
            if not size:
                continue
            tier = "L3" if name == ARENA_L3 else tiers[ARENA]
            arena = memref.GlobalOp.get(
                StringAttr(name), in_tier(MemRefType(i8, [size]), tier), UnitAttr(),
                StringAttr("public"), alignment=ALIGN,
            )
            arena.attributes[ROLE] = role_attr(Role.ARENA)
            op.body.block.insert_op_before(arena, first)
        data = sum(_padded(g) for g in globals_)
        place_globals(entries, {g: tiers[g.sym_name.data] for g in globals_})
        op.attributes[MEMORY_PLAN] = MemoryPlanAttr.of(
            data=data,
            arena=peak + l3_arena,
            l1=used["L1"],
            l2=used["L2"],
            l3=used["L3"] + l3_arena if used["L3"] or l3_arena else None,
        )
        if used["L2"] > self.capacity:
            hint = (
                "even after spilling every tensor that only tiled kernels touch to L3"
                if self.spill_l3
                else "tensors move to L3 only in tiled builds (--tile-l1), where the DMA "
                "reaches them"
            )
            raise PassFailedException(
                f"plan-memory: the program needs {used['L2']} bytes of L2 (after "
                f"{used['L1']} bytes placed in L1; {data} bytes of parameters, inputs "
                f"and outputs and a {peak}-byte activation arena in all) but "
                f"{self.capacity} are available, {hint}"
            )

    def _spill(
        self,
        f: func.FuncOp,
        plan: MemoryPlan,
        globals_: list[memref.GlobalOp],
        tiers: dict[str, str],
        used: dict[str, int],
    ) -> tuple[int, int]:
        """Move L2 tensors (globals, or buffers of an L2 arena) to L3, least
        used first (then largest), until L2 fits; returns the peaks of the
        L2 arena and the L3 arena. Buffers of kernels that are not tiled
        stay (cores cannot reach L3)."""
        module = f.parent_op()
        assert isinstance(module, ModuleOp)
        kernels = {k.sym_name.data: k for k in module.ops if isinstance(k, func.FuncOp)}
        uses: dict[object, int] = {}
        pinned: set[object] = set()
        root = _roots(f)
        for call in f.body.block.ops:
            if not isinstance(call, func.CallOp):
                continue
            stuck = untileable_reason(kernels[call.callee.string_value()]) is not None
            for arg in call.arguments:
                key = root.get(arg)
                if key is None:
                    continue
                uses[key] = uses.get(key, 0) + 1
                if stuck:
                    pinned.add(key)
        by_name = {g.sym_name.data: g for g in globals_}
        arena_in_l2 = tiers.get(ARENA) == "L2"
        candidates: list[tuple[int, int, object]] = []
        for name, g in by_name.items():
            if tiers[name] == "L2" and name not in pinned:
                candidates.append((uses.get(name, 0), -_padded(g), name))
        if arena_in_l2:
            for iv in plan.intervals:
                if iv.alloc not in pinned:
                    candidates.append((uses.get(iv.alloc, 0), -iv.size, iv.alloc))
        candidates.sort(key=lambda c: (c[0], c[1]))
        l2_allocs = [iv.alloc for iv in plan.intervals]
        l3_allocs: list[memref.AllocOp] = []
        arena_l2 = plan.peak if arena_in_l2 else 0
        globals_l2 = sum(_padded(g) for n, g in by_name.items() if tiers[n] == "L2")
        i = 0
        while globals_l2 + arena_l2 > self.capacity and i < len(candidates):
            # a batch worth the deficit, then re-plan the arena
            deficit = globals_l2 + arena_l2 - self.capacity
            moved = 0
            while moved < deficit and i < len(candidates):
                _, neg, what = candidates[i]
                i += 1
                moved += -neg
                if isinstance(what, str):
                    tiers[what] = "L3"
                    used["L3"] += -neg
                    globals_l2 -= -neg
                else:
                    l2_allocs.remove(what)
                    l3_allocs.append(what)
            if arena_in_l2:
                arena_l2 = plan_function(f, set(l2_allocs)).peak
        used["L2"] = globals_l2 + arena_l2
        main = plan_function(f, set(l2_allocs))
        l3 = plan_function(f, set(l3_allocs))
        for iv in l3.intervals:
            iv.alloc.attributes[ARENA_ATTR] = SymbolRefAttr(ARENA_L3)
        plan.intervals = main.intervals + l3.intervals
        plan.peak = main.peak
        return main.peak, l3.peak


def _roots(f: func.FuncOp) -> dict[SSAValue, object]:
    """Entry values -> what holds them: a global's name or an alloc."""
    root: dict[SSAValue, object] = {}
    for op in f.body.block.ops:
        if isinstance(op, memref.GetGlobalOp):
            root[op.memref] = op.name_.string_value()
        elif isinstance(op, memref.AllocOp):
            root[op.memref] = op
        elif isinstance(op, (*VIEW_OPS, memref.MemorySpaceCastOp)) and op.operands[0] in root:
            root[op.results[0]] = root[op.operands[0]]
    return root


def _padded(g: memref.GlobalOp) -> int:
    t = g.type
    assert isinstance(t, MemRefType)
    return padded_bytes(t)
