"""`tier`: memory tiers and the data movement between them.

`tier.tiled_call` is a kernel call whose operands live in a home tier (L2 or
L3) and reach the kernel tile by tile through L1, by DMA, double-buffered:
the grid of tiles, and per operand its direction, the DMA shape of one tile
and where its two L1 buffers are. `tier-tile-l1` creates it from a plain
kernel call; `convert-entry-to-riscv` turns it into a descriptor for the
runtime's tile driver (`tdrt_tiled`, runtime/lib/tdrt_tiled.c).

Per operand:
* `modes[k]`: 1 = copy in before the kernel, 2 = copy out after it, 3 = both,
  0 = resident: the operand is in L1 already and the grid does not cut it,
  the kernel uses it in place (no buffers, steps 0);
* `steps[k]`: home bytes between neighbouring tiles along each grid dimension;
* `boxes[k]` = [row_len, rows, row_stride, planes, plane_stride]: one tile is
  `planes` 2-D transfers of `rows` rows of `row_len` bytes (strides in bytes
  on the home side; the L1 side is contiguous);
* `l1_offsets[2k]`, `l1_offsets[2k+1]`: byte offsets of its two L1 buffers in
  the program's tile area (`__tdopt_tiles`).
The kernel `callee` takes one L1 buffer per operand, in operand order.
"""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.dialects.builtin import (
    ArrayAttr,
    DenseArrayBase,
    MemRefType,
    StringAttr,
    SymbolRefAttr,
    i64,
)
from xdsl.ir import Attribute, Dialect, SSAValue
from xdsl.irdl import (
    IRDLOperation,
    ParsePropInAttrDict,
    irdl_op_definition,
    prop_def,
    var_operand_def,
)
from xdsl.utils.exceptions import VerifyException

MAX_OPERANDS = 8  # the kernel's operands travel in a0..a7
GRID_DIMS = 3
BOX_FIELDS = ("row_len", "rows", "row_stride", "planes", "plane_stride")
RESIDENT, IN, OUT = 0, 1, 2


def int_array(values: Sequence[int]) -> DenseArrayBase:
    return DenseArrayBase.from_list(i64, list(values))


@irdl_op_definition
class TiledCallOp(IRDLOperation):
    """A kernel run tile by tile with double-buffered DMA between the
    operands' home tier and L1."""

    name = "tier.tiled_call"
    callee = prop_def(SymbolRefAttr)
    grid = prop_def(DenseArrayBase)
    modes = prop_def(DenseArrayBase)
    steps = prop_def(ArrayAttr[DenseArrayBase])
    boxes = prop_def(ArrayAttr[DenseArrayBase])
    l1_offsets = prop_def(DenseArrayBase)
    args = var_operand_def(MemRefType)

    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$callee `(` $args `)` attr-dict `:` type($args)"

    def __init__(
        self,
        callee: str,
        args: Sequence[SSAValue],
        grid: Sequence[int],
        modes: Sequence[int],
        steps: Sequence[Sequence[int]],
        boxes: Sequence[Sequence[int]],
        l1_offsets: Sequence[int],
    ):
        super().__init__(
            operands=[list(args)],
            properties={
                "callee": SymbolRefAttr(callee),
                "grid": int_array(grid),
                "modes": int_array(modes),
                "steps": ArrayAttr([int_array(s) for s in steps]),
                "boxes": ArrayAttr([int_array(b) for b in boxes]),
                "l1_offsets": int_array(l1_offsets),
            },
        )

    def grid_values(self) -> tuple[int, ...]:
        return tuple(self.grid.get_values())

    def operand_modes(self) -> tuple[int, ...]:
        return tuple(self.modes.get_values())

    def operand_steps(self) -> list[tuple[int, ...]]:
        return [tuple(s.get_values()) for s in self.steps.data]

    def operand_boxes(self) -> list[tuple[int, ...]]:
        return [tuple(b.get_values()) for b in self.boxes.data]

    def buffer_offsets(self) -> list[tuple[int, int]]:
        v = self.l1_offsets.get_values()
        return [(v[2 * k], v[2 * k + 1]) for k in range(len(v) // 2)]

    def tile_bytes(self, k: int) -> int:
        """Bytes of one tile of operand `k` (one L1 buffer)."""
        row_len, rows, _, planes, _ = self.operand_boxes()[k]
        return row_len * rows * planes

    def verify_(self) -> None:
        n = len(self.args)
        where = f"{self.name} @{self.callee.string_value()}"
        if n == 0 or n > MAX_OPERANDS:
            raise VerifyException(f"{where}: takes 1 to {MAX_OPERANDS} operands, got {n}")
        grid = self.grid_values()
        if len(grid) != GRID_DIMS or any(g < 1 for g in grid):
            raise VerifyException(
                f"{where}: grid must be {GRID_DIMS} tile counts >= 1, got {list(grid)}"
            )
        counts = {
            "modes": len(self.operand_modes()),
            "steps": len(self.steps.data),
            "boxes": len(self.boxes.data),
        }
        for field, count in counts.items():
            if count != n:
                raise VerifyException(f"{where}: {field} has {count} entries for {n} operands")
        if len(self.l1_offsets.get_values()) != 2 * n:
            raise VerifyException(f"{where}: l1_offsets needs two offsets per operand")
        for k, mode in enumerate(self.operand_modes()):
            if mode not in (RESIDENT, IN, OUT, IN | OUT):
                raise VerifyException(
                    f"{where}: operand {k} has mode {mode}; expected 0 (resident), "
                    "1 (in), 2 (out) or 3 (in and out)"
                )
        for k, step in enumerate(self.operand_steps()):
            if len(step) != GRID_DIMS or any(s < 0 for s in step):
                raise VerifyException(
                    f"{where}: steps of operand {k} must be {GRID_DIMS} byte counts >= 0"
                )
        for k, box in enumerate(self.operand_boxes()):
            if len(box) != len(BOX_FIELDS):
                raise VerifyException(
                    f"{where}: box of operand {k} must be [{', '.join(BOX_FIELDS)}]"
                )
            row_len, rows, row_stride, planes, plane_stride = box
            if row_len < 1 or rows < 1 or planes < 1:
                raise VerifyException(
                    f"{where}: box of operand {k} has an empty dimension: {list(box)}"
                )
            if rows > 1 and row_stride < row_len or planes > 1 and plane_stride < 1:
                raise VerifyException(
                    f"{where}: box of operand {k} has overlapping rows: {list(box)}"
                )
        offsets = self.buffer_offsets()
        for k, (a, b) in enumerate(offsets):
            if a < 0 or b < 0 or a % 4 or b % 4:
                raise VerifyException(
                    f"{where}: L1 buffers of operand {k} must be at word-aligned offsets >= 0"
                )


Tier = Dialect("tier", [TiledCallOp], [])
