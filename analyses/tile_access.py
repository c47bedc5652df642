"""The operand accesses of a kernel's loop nest as `tier-tile-l1` and
`plan-memory` need them: per operand, its buffer shape, element size and the
linear coefficients and constant of every map result; and why a kernel
cannot be tiled (then it keeps a plain call on its home tier, which must
not be L3)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, fields

from xdsl.dialects import func
from xdsl.dialects.builtin import MemRefType
from xdsl.dialects.linalg import ops as linalg_ops
from xdsl.dialects.linalg.abstract_ops import NamedOperation
from xdsl.ir import BlockArgument
from xdsl.ir.affine import AffineMap

from tdopt.analyses.affine_access import linear_coefficients, view_root
from tdopt.dialects.tier import MAX_OPERANDS


class Untileable(Exception):
    """The kernel cannot be tiled (it keeps a plain call); the message says why."""


@dataclass(frozen=True)
class OperandAccess:
    """How one operand of the loop nest is reached: its buffer shape (as the
    kernel sees it), element size and, per buffer dimension, the linear
    coefficients of its map result {loop: c} and constant."""

    shape: tuple[int, ...]
    elem: int
    coeffs: tuple[dict[int, int], ...]
    consts: tuple[int, ...]
    is_output: bool
    reads_output: bool
    read: bool = True  # an input the body never reads only gives loop bounds
    plain: bool = True  # every map result a distinct loop or a constant, or their sum

    def needs_memory(self) -> bool:
        return self.is_output or self.read

    def key(self) -> tuple:
        """Every field as a hashable value (the coefficient maps as sorted
        pairs): equal for equal accesses."""
        return tuple(
            tuple(tuple(sorted(c.items())) for c in self.coeffs) if f.name == "coeffs" else getattr(self, f.name)
            for f in fields(self)
        )

    def extents(self, tile: Sequence[int], shifted: bool = False) -> tuple[int, ...]:
        """The box (elements per buffer dimension) one tile reaches: from the
        buffer's origin, or (`shifted`) from the map's constant, where the
        box of a copied operand starts (its tile kernel reads the map minus
        that constant, and the DMA starts at `origin_bytes` into the home
        buffer)."""
        return tuple(
            (0 if shifted else const) + sum(c * (tile[k] - 1) for k, c in co.items()) + 1
            for co, const in zip(self.coeffs, self.consts)
        )

    def origin_bytes(self) -> int:
        """Home byte offset of the first element tile (0, ...) reaches."""
        return sum(c * s for c, s in zip(self.consts, self.strides()))

    def strides(self) -> tuple[int, ...]:
        out, acc = [], self.elem
        for size in reversed(self.shape):
            out.append(acc)
            acc *= size
        return tuple(reversed(out))

    def dma_levels(self, box: Sequence[int]) -> list[tuple[int, int]] | None:
        """The box as (count, home stride in bytes) levels, innermost first,
        the first being (bytes per row, -); None if it needs more than three."""
        strides = self.strides()
        j = len(box) - 1
        row = box[j] * self.elem if box else self.elem
        while j > 0 and box[j] == self.shape[j]:
            j -= 1
            row *= box[j]
        levels: list[tuple[int, int]] = [(row, 0)]
        for r in range(j - 1, -1, -1):
            if box[r] == 1:
                continue
            count, stride = box[r], strides[r]
            prev_count, prev_stride = levels[-1]
            if len(levels) > 1 and stride == prev_count * prev_stride:
                levels[-1] = (prev_count * count, prev_stride)
            else:
                levels.append((count, stride))
        return levels if len(levels) <= 3 else None

    def tile_bytes(self, tile: Sequence[int]) -> int:
        """Bytes of one L1 copy of the operand's tile (the shifted box)."""
        return math.prod(self.extents(tile, shifted=True)) * self.elem


def operand_access(t: MemRefType, amap: AffineMap, is_out: bool, used: bool) -> OperandAccess:
    """The access of a loop nest's operand of type `t` through `amap`
    (`used`: the body reads the operand's element). Raises Untileable when
    the map is not linear with non-negative coefficients, or reaches an
    output of rank > 1 other than plainly."""
    elem = t.element_type.bitwidth // 8  # type: ignore[attr-defined]
    coeffs, consts = [], []
    origin = [0] * amap.num_dims
    for e in amap.results:
        co = linear_coefficients(e)
        if co is None or any(c < 0 for c in co.values()):
            raise Untileable(f"the map {amap} is not a non-negative linear map")
        coeffs.append({k: c for k, c in co.items() if c})
        consts.append(e.eval(origin, []))  # the value with every loop at 0
    plain = plain_access(coeffs, consts)
    if is_out and not plain and len(t.get_shape()) != 1:
        raise Untileable(f"an output is reached through the map {amap}")
    return OperandAccess(
        tuple(t.get_shape()), elem, tuple(coeffs), tuple(consts), is_out, is_out and used, used, plain,
    )


def analyze_kernel(kernel: func.FuncOp) -> tuple[linalg_ops.GenericOp, list[BlockArgument], list[OperandAccess]]:
    generics = [o for o in kernel.body.block.ops if isinstance(o, linalg_ops.GenericOp)]
    # (a fill before the generic is kernel-fuse-fill's, after tiling)
    named = [
        o.name for o in kernel.body.block.ops
        if isinstance(o, NamedOperation) and not isinstance(o, linalg_ops.FillOp)
    ]
    if named:
        raise Untileable(f"a named {named[0]} (tiling reads linalg.generic: run linalg-generalize-named-ops first)")
    if len(generics) != 1:
        raise Untileable(f"{len(generics)} loop nests (expected one)")
    g = generics[0]
    if any(isinstance(o, linalg_ops.IndexOp) for o in g.body.walk()):
        raise Untileable("the body reads loop indices (linalg.index)")
    n_in = len(g.inputs)
    if len(g.operands) > MAX_OPERANDS:
        raise Untileable(f"{len(g.operands)} operands (at most {MAX_OPERANDS})")
    roots: list[BlockArgument] = []
    accesses: list[OperandAccess] = []
    for i, (v, m) in enumerate(zip(g.operands, g.indexing_maps.data)):
        root = view_root(v)
        if not isinstance(root, BlockArgument):
            raise Untileable("an operand is not a kernel argument or a view of one")
        t = v.type
        assert isinstance(t, MemRefType)
        is_out = i >= n_in
        used = bool(g.body.block.args[i].uses)
        accesses.append(operand_access(t, m.data, is_out, used))
        roots.append(root)
    for i, a in enumerate(accesses):
        for j in range(i + 1, len(accesses)):
            b = accesses[j]
            if roots[i] is not roots[j] or not (a.is_output or b.is_output):
                continue
            if not (a.needs_memory() and b.needs_memory()):
                continue
            if (a.shape, a.coeffs, a.consts) != (b.shape, b.coeffs, b.consts):
                raise Untileable("an input aliases an output through another map")
    return g, roots, accesses


def untileable_reason(kernel: func.FuncOp) -> str | None:
    """Why `tier-tile-l1` keeps a plain call of this kernel (None: it tiles it)."""
    try:
        analyze_kernel(kernel)
    except Untileable as e:
        return str(e)
    return None


def plain_access(coeffs: Sequence[dict[int, int]], consts: Sequence[int]) -> bool:
    """Every result a distinct loop or a constant, or a distinct loop plus a
    constant (the window of a padded buffer): the tile writes its box
    (shifted by the constants) exactly and tiles write disjoint boxes."""
    seen: set[int] = set()
    for co, const in zip(coeffs, consts):
        if len(co) > 1 or any(c != 1 for c in co.values()):
            return False
        for k in co:
            if k in seen:
                return False
            seen.add(k)
    return True
