"""`tier-prefetch-first-tiles` (tiled builds, after `kernel-fold-epilogue`,
the last pass that changes tiled calls): a tiled call copies the first
tiles of the next tiled call's inputs in while its own last tile computes.

Within a call the tile driver copies tile t+1 in while tile t computes, but
the first tile's copies overlap nothing: every core waits for them (24 KB,
3 k cycles, for a 32x128x128 product). For two tiled calls A and B with only
ops that name memory in between, an operand of B that B copies in is
prefetched (`prefetched` on B's `tier.tiled_call`; A's descriptor then
names B's, see runtime/lib/tdrt_tiled.c) when:
- A writes nothing that may share bytes with it (`analyses/epilogues.
  may_overlap`, on the memory plan's offsets): A's outputs, and its
  resident operands, which its kernel may write in place. The DMA runs
  transfers in queue order, so what the calls before A wrote is home by
  then; A's own last tile is copied out after the prefetch;
- its first L1 buffer is none of A's buffers (both buffers of every
  operand A copies): B's buffers are laid out anew for that, the
  prefetched first buffers where A has none, then B's other buffers
  wherever B's own leave room, within the tile budget (`budget` minus what
  the memory plan put in L1, as `tier-tile-l1`). The largest inputs are
  tried first; one that does not fit is not prefetched.
The tile area `__tdopt_tiles` and the plan's `tiles` grow to the largest
layout. Calls are taken in order, so B's layout is final when B's own
successor is considered.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import func, memref
from xdsl.dialects.builtin import MemRefType, ModuleOp, i8
from xdsl.passes import ModulePass

from tdopt.analyses.epilogues import globals_alias, may_overlap
from tdopt.analyses.kernel_forms import VALUE_OPS
from tdopt.dialects.cluster import ENTRY, MEMORY_PLAN, TILES_GLOBAL, memory_plan
from tdopt.dialects.tier import IN, OUT, RESIDENT, TiledCallOp, in_tier, int_array
from tdopt.target import CLUSTER

ALIGN = CLUSTER.dma_align

# (first byte, end) of an L1 buffer in the tile area
Span = tuple[int, int]


def _buffers(call: TiledCallOp) -> list[tuple[int, int, int, int]]:
    """(operand, first buffer's offset, second buffer's offset, bytes) of
    each operand the call copies (a resident one has no buffers)."""
    return [
        (k, a, b, call.buffer_bytes(k))
        for k, ((a, b), mode) in enumerate(zip(call.buffer_offsets(), call.operand_modes()))
        if mode != RESIDENT
    ]


def _spans(call: TiledCallOp) -> list[Span]:
    """Every L1 buffer the call uses."""
    return sorted({(o, o + n) for _, a, b, n in _buffers(call) for o in (a, b)})


def _first_fit(size: int, taken: Sequence[Span], limit: int) -> int | None:
    """The lowest aligned offset of `size` bytes that overlaps no span of
    `taken` and ends by `limit`."""
    at = 0
    for start, end in sorted(taken):
        if at + size <= start:
            break
        at = max(at, -(-end // ALIGN) * ALIGN)
    return at if at + size <= limit else None


def _layout(call: TiledCallOp, early: Sequence[int], busy: Sequence[Span], limit: int) -> list[int] | None:
    """New `l1_offsets` for `call` in which the first buffers of the
    operands `early` avoid `busy` (the call before's buffers) and no two
    buffers of the call overlap, all within `limit` bytes; None if there
    is none this way."""
    offsets = list(call.l1_offsets.get_values())
    placed: list[Span] = []
    buffers = {k: (a != b, n) for k, a, b, n in _buffers(call)}
    # (offset slot, whether it must avoid `busy`): the early first buffers,
    # then every other buffer (a single buffer's second address is its first)
    slots = [(2 * k, True) for k in early]
    for k, (double, _) in buffers.items():
        if k not in early:
            slots.append((2 * k, False))
        if double:
            slots.append((2 * k + 1, False))
    for slot, avoid_busy in slots:
        n = buffers[slot // 2][1]
        at = _first_fit(n, [*busy, *placed] if avoid_busy else placed, limit)
        if at is None:
            return None
        offsets[slot] = at
        placed.append((at, at + n))
    for k, (double, _) in buffers.items():
        if not double:
            offsets[2 * k + 1] = offsets[2 * k]
    return offsets


def _written(call: TiledCallOp) -> list:
    """The operands a call may write: its outputs, and its resident
    operands (its kernel uses them in place)."""
    return [v for v, mode in zip(call.args, call.operand_modes()) if mode & OUT or mode == RESIDENT]


@dataclass(frozen=True)
class TierPrefetchFirstTilesPass(ModulePass):
    """The next tiled call's independent inputs copied in during a tiled
    call's last tile (see the module docstring)."""

    name = "tier-prefetch-first-tiles"

    # bytes of L1 for tiles: tier-tile-l1's budget (the memory plan's L1
    # tensors come off it)
    budget: int = 120 * 1024

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        area = next(
            (g for g in op.ops if isinstance(g, memref.GlobalOp) and g.sym_name.data == TILES_GLOBAL), None
        )
        if area is None:
            return
        plan = memory_plan(op)
        limit = self.budget - (plan.get("l1") if plan is not None else 0)
        assert isinstance(area.type, MemRefType)
        peak = area.type.get_shape()[0]
        alias = globals_alias(list(op.ops))
        for entry in [f for f in op.ops if isinstance(f, func.FuncOp) and ENTRY in f.attributes]:
            before: TiledCallOp | None = None
            for call in entry.body.block.ops:
                if isinstance(call, VALUE_OPS):
                    continue
                if isinstance(call, TiledCallOp) and before is not None:
                    peak = max(peak, self._prefetch(before, call, alias, limit))
                before = call if isinstance(call, TiledCallOp) else None
        if peak > area.type.get_shape()[0]:
            area.type = in_tier(MemRefType(i8, [peak]), "L1")  # type: ignore[misc]
            if plan is not None:
                op.attributes[MEMORY_PLAN] = plan.updated(tiles=peak)

    def _prefetch(self, a: TiledCallOp, b: TiledCallOp, alias: dict[str, str], limit: int) -> int:
        """Mark the inputs of `b` that `a` may copy in (and lay out `b`'s
        buffers for them); returns the end of `b`'s last buffer."""
        written = _written(a)
        inputs = [
            k for k, (v, mode) in enumerate(zip(b.args, b.operand_modes()))
            if mode & IN and not any(may_overlap(v, w, alias) for w in written)
        ]
        inputs.sort(key=lambda k: -b.tile_bytes(k))
        busy = _spans(a)
        chosen: list[int] = []
        offsets: list[int] | None = None
        for k in inputs:
            trial = _layout(b, [*chosen, k], busy, limit)
            if trial is not None:
                chosen.append(k)
                offsets = trial
        if chosen and offsets is not None:
            b.l1_offsets = int_array(offsets)
            b.prefetched = int_array(sorted(chosen))
        return max((end for _, end in _spans(b)), default=0)
