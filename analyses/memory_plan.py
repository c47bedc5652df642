"""Reading the static memory plan back from the IR: where each tensor of an
entry lives (the tier of its global, or of the arena its buffer was placed
in), when each planned buffer is live, and the bytes live per tier at every
kernel call of the step (what `tdopt --plot-memory` draws).

The plan is what `plan-memory` (passes/plan_memory.py) wrote: the tier as
the memory space of every global's type (and of the arena globals'),
`cluster.offset` on every `memref.alloc` of an entry, `cluster.arena` on an
alloc in another arena than the main one (read through the cluster
dialect's readers).

A buffer's lifetime follows plan-memory's rule: from its `memref.alloc` to
the last op of the entry that uses it or a view of it (`analyses/views.py`).
Globals (parameters, inputs, outputs, the L1 tile area) are live for the
whole step.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from xdsl.dialects import func, memref
from xdsl.dialects.builtin import MemRefType, ModuleOp
from xdsl.ir import Operation, SSAValue

from tdopt.analyses.affine_access import view_root
from tdopt.analyses.views import VIEW_OPS
from tdopt.dialects.cluster import ENTRY, Role, alias_of, arena_of, offset_of, role_of
from tdopt.dialects.tier import TiledCallOp, byte_size, memref_tier
from tdopt.target import CLUSTER

# plan-memory's attributes and globals are the cluster dialect's, a
# buffer's tier is the memory space of its type
ALIGN = CLUSTER.dma_align  # plan-memory pads every buffer to the DMA port's width
TIERS = ("L1", "L2", "L3")


def entries(module: ModuleOp) -> list[func.FuncOp]:
    """The step's entry functions (the ones plan-memory planned)."""
    return [f for f in module.ops if isinstance(f, func.FuncOp) and ENTRY in f.attributes]


def is_planned(module: ModuleOp) -> bool:
    """plan-memory ran on this module: its globals carry their tier."""
    return any(
        isinstance(g, memref.GlobalOp) and isinstance(g.type, MemRefType) and memref_tier(g.type) is not None
        for g in module.ops
    )


def global_tiers(module: ModuleOp) -> dict[str, str]:
    """Global symbol -> its tier ("L1", "L2", "L3"; absent: not placed)."""
    out: dict[str, str] = {}
    aliases: dict[str, str] = {}
    for g in module.ops:
        if isinstance(g, memref.GlobalOp) and isinstance(g.type, MemRefType):
            tier = memref_tier(g.type)
            if tier is not None:
                out[g.sym_name.data] = tier
            elif (target := alias_of(g)) is not None:
                aliases[g.sym_name.data] = target
    # an output that shares another global's bytes (a plain type) is where that one is
    for name, target in aliases.items():
        if target in out:
            out[name] = out[target]
    return out


def padded_bytes(t: MemRefType) -> int:
    """Bytes of a buffer of type `t` as plan-memory places it (padded to ALIGN)."""
    return -(-byte_size(t) // ALIGN) * ALIGN


@dataclass(frozen=True)
class Home:
    """What holds an entry value: a global (`name` = its symbol) or a
    planned buffer (`alloc`; `name` empty, see `buffer_name`), and its
    tier (None: not placed)."""

    name: str
    tier: str | None
    alloc: memref.AllocOp | None = None


def home_of(v: SSAValue, tiers: dict[str, str]) -> Home | None:
    """The global or planned buffer an entry value (or a view of it) is."""
    owner = view_root(v).owner
    if isinstance(owner, memref.GetGlobalOp):
        name = owner.name_.string_value()
        return Home(name, tiers.get(name))
    if isinstance(owner, memref.AllocOp):
        return Home("", tiers.get(arena_of(owner)), owner)
    return None


def buffer_name(alloc: memref.AllocOp, position: dict[Operation, int] | None = None) -> str:
    """A planned buffer's name: its SSA name if it kept one, else the
    first kernel call that uses it and the argument position
    (`position`: the entry's ops -> index, to order the calls)."""
    if alloc.memref.name_hint:
        return alloc.memref.name_hint
    found: list[tuple[int, str]] = []
    pending = [alloc.memref]
    while pending:
        for use in pending.pop().uses:
            user = use.operation
            if isinstance(user, (func.CallOp, TiledCallOp)) and user.parent_block() is not None:
                block = user.parent_block()
                assert block is not None
                where = position[user] if position is not None else block.get_operation_index(user)
                found.append((where, f"{user.callee.string_value()}#{use.index}"))
            elif isinstance(user, VIEW_OPS):
                pending.append(user.results[0])
    return min(found)[1] if found else "buffer"


def kernel_calls(f: func.FuncOp) -> list[Operation]:
    """The step's kernel calls in schedule order (plain or tiled)."""
    return [op for op in f.body.block.ops if isinstance(op, (func.CallOp, TiledCallOp))]


def buffer_lifetimes(f: func.FuncOp) -> dict[memref.AllocOp, tuple[int, int]]:
    """Each alloc of `f` -> (first, last) position among the ops of the
    entry's block: from the alloc to its last use through views."""
    ops = list(f.body.block.ops)
    position = {op: i for i, op in enumerate(ops)}
    root: dict[SSAValue, memref.AllocOp] = {}
    life: dict[memref.AllocOp, tuple[int, int]] = {}
    for i, op in enumerate(ops):
        if isinstance(op, memref.AllocOp):
            life[op] = (i, i)
            root[op.memref] = op
        elif isinstance(op, VIEW_OPS) and op.operands[0] in root:
            root[op.results[0]] = root[op.operands[0]]
    for value, alloc in root.items():
        for use in value.uses:
            if use.operation in position:
                start, end = life[alloc]
                life[alloc] = (start, max(end, position[use.operation]))
    return life


@dataclass(frozen=True)
class Buffer:
    """One placed tensor: its name, tier, padded bytes and the kernel calls
    (indices into the schedule) it is live at, first and last."""

    name: str
    tier: str
    size: int
    first: int
    last: int


@dataclass
class MemorySeries:
    """Bytes live per tier at every kernel call of the step (`calls[k]` is
    the callee of call k), the buffers behind them, and the largest
    buffers labelled at the call where their tier's total peaks within
    their lifetime: (name, tier, size, call)."""

    calls: list[str]
    live: dict[str, list[int]]
    buffers: list[Buffer] = field(default_factory=list)
    labels: list[tuple[str, str, int, int]] = field(default_factory=list)


def memory_series(module: ModuleOp, top: int = 5) -> MemorySeries:
    """The static plan over the step's kernel calls: for every call k and
    tier, the bytes of the globals placed in that tier (live all step)
    plus the planned buffers of that tier live at the call (alloc position
    <= the call's position <= last use). A module without a plan (no
    tier on its globals' types) or without one entry is an error."""
    if not is_planned(module):
        raise ValueError("the module has no static memory plan (plan-memory did not run)")
    found = entries(module)
    if len(found) != 1:
        raise ValueError(f"the memory plan is drawn for one entry function, found {len(found)}")
    (f,) = found
    tiers = global_tiers(module)
    ops = list(f.body.block.ops)
    position = {op: i for i, op in enumerate(ops)}
    calls = kernel_calls(f)
    positions = [position[c] for c in calls]
    buffers: list[Buffer] = []
    arenas = {g.sym_name.data for g in module.ops
              if isinstance(g, memref.GlobalOp) and role_of(g) == Role.ARENA}
    for g in module.ops:
        if not isinstance(g, memref.GlobalOp) or g.sym_name.data in arenas:
            continue
        name = g.sym_name.data
        if name in tiers and isinstance(g.type, MemRefType) and alias_of(g) is None:
            buffers.append(Buffer(name, tiers[name], padded_bytes(g.type), 0, max(0, len(calls) - 1)))
    for alloc, (start, end) in buffer_lifetimes(f).items():
        tier = tiers.get(arena_of(alloc))
        t = alloc.memref.type
        if tier is None or not isinstance(t, MemRefType) or offset_of(alloc) is None:
            continue
        live_at = [k for k, p in enumerate(positions) if start <= p <= end]
        if not live_at:
            continue  # never reaches a kernel call (planned but unused)
        buffers.append(Buffer(buffer_name(alloc, position), tier, padded_bytes(t), live_at[0], live_at[-1]))
    live = {t: [0] * len(calls) for t in TIERS}
    for b in buffers:
        for k in range(b.first, b.last + 1):
            live[b.tier][k] += b.size
    labels = []
    for b in sorted(buffers, key=lambda b: (-b.size, b.first, b.name))[:top]:
        span = live[b.tier][b.first:b.last + 1]
        k = b.first + span.index(max(span)) if span else b.first
        labels.append((b.name, b.tier, b.size, k))
    names = []
    for c in calls:
        callee = c.callee if isinstance(c, (func.CallOp, TiledCallOp)) else None
        names.append(callee.string_value() if callee is not None else c.name)
    return MemorySeries(names, live, buffers, labels)

