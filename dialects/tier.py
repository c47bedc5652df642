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
With `first_callee` and `first_dims` (grid dimensions), the tiles whose grid
index is 0 in each of `first_dims` run `first_callee` instead (same
operands): the first tile of a reduction the grid cuts, started from zero.
With `epilogue_callee` (and `epilogue_dims`, absent: none), the tiles whose
grid index is the last in each of `epilogue_dims` also run `epilogue_callee`
after the kernel (same operands): an elementwise kernel on the output tile
once the reduction the grid cuts is complete, before it is copied out.
With `prefetched` (operand indices), the tiled call right before (only ops
that name memory in between) copies those operands' first tiles into their
first L1 buffers while its own last tile computes, and this call does not
copy them again.

Explicit data movement (for hand-written or generated kernels):
* `#tier.space<l1>` / `<l2>` / `<l3>`: a memref memory space naming the tier
  a buffer lives in; `convert-globals-to-sections` places a `memref.global`
  of such a type in that tier's section (static placement);
* `tier.dma_start %src to %dst`: queue one DMA transfer, returns its id
  (i32). Without sizes it copies the whole of `src` (static shape) into
  `dst` (same shape), 1-D when both are contiguous, 2-D when their strided
  layouts (e.g. a `memref.subview` of a matrix) collapse to rows x row
  length with one stride per side. With `bytes N` it copies N bytes of two
  contiguous memrefs from their starts, and with `rows R src_stride S
  dst_stride D` also R rows of N bytes, S and D bytes apart;
* `tier.dma_wait %id`: block until that transfer is complete;
  `tier.dma_wait_all`: until the DMA queue is empty.
`convert-tier-dma-to-riscv` lowers them to the runtime's DMA registers
(runtime/include/tdrt_regs.h), through `tier.mmio_lw` for the blocking reads.
"""

from __future__ import annotations

import itertools

from collections.abc import Sequence
from dataclasses import dataclass
from math import prod

from xdsl.dialects.builtin import (
    I64,
    ArrayAttr,
    DenseArrayBase,
    FixedBitwidthType,
    IntegerAttr,
    MemRefType,
    NoneAttr,
    StringAttr,
    SymbolRefAttr,
    i32,
    i64,
)
from xdsl.backend.assembly_printer import AssemblyPrinter
from xdsl.dialects.riscv.abstract_ops import RdRsImmIntegerOperation, assembly_arg_str
from xdsl.ir import Attribute, Dialect, ParametrizedAttribute, SSAValue
from xdsl.irdl import (
    IRDLOperation,
    ParsePropInAttrDict,
    irdl_attr_definition,
    irdl_op_definition,
    operand_def,
    opt_prop_def,
    prop_def,
    result_def,
    traits_def,
    var_operand_def,
)
from xdsl.parser import AttrParser
from xdsl.printer import Printer
from xdsl.traits import MemoryReadEffect, MemoryWriteEffect
from xdsl.utils.exceptions import VerifyException

from tdopt.target import CLUSTER

MAX_OPERANDS = CLUSTER.arg_regs  # the kernel's operands travel in a0..a7


def buffer_bytes(tile_bytes: int) -> int:
    """The bytes an L1 buffer of a tile of `tile_bytes` takes in the tile
    area: padded to the DMA's alignment (CLUSTER.dma_align)."""
    return -(-tile_bytes // CLUSTER.dma_align) * CLUSTER.dma_align
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
    # byte offset of tile (0, 0, 0) in each operand's home buffer (absent: all 0)
    home_offsets = opt_prop_def(DenseArrayBase)
    # the kernel of the tiles whose index is 0 in each grid dimension of first_dims
    first_callee = opt_prop_def(SymbolRefAttr)
    first_dims = opt_prop_def(DenseArrayBase)
    # the kernel run after `callee` on the tiles whose index is the last in
    # each grid dimension of epilogue_dims (absent: on every tile)
    epilogue_callee = opt_prop_def(SymbolRefAttr)
    epilogue_dims = opt_prop_def(DenseArrayBase)
    # operands whose first tile the tiled call right before copies into
    # their first L1 buffer during its last tile (`tier-prefetch-first-tiles`)
    prefetched = opt_prop_def(DenseArrayBase)
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
        home_offsets: Sequence[int] | None = None,
    ):
        properties = {
            "callee": SymbolRefAttr(callee),
            "grid": int_array(grid),
            "modes": int_array(modes),
            "steps": ArrayAttr([int_array(s) for s in steps]),
            "boxes": ArrayAttr([int_array(b) for b in boxes]),
            "l1_offsets": int_array(l1_offsets),
        }
        if home_offsets is not None and any(home_offsets):
            properties["home_offsets"] = int_array(home_offsets)
        super().__init__(operands=[list(args)], properties=properties)

    def grid_values(self) -> tuple[int, ...]:
        return tuple(self.grid.get_values())

    def callees(self) -> list[str]:
        """The kernels the call runs: `callee`, `first_callee` and
        `epilogue_callee` if any."""
        names = [self.callee.string_value()]
        if self.first_callee is not None:
            names.append(self.first_callee.string_value())
        if self.epilogue_callee is not None:
            names.append(self.epilogue_callee.string_value())
        return names

    def epilogue_dim_values(self) -> tuple[int, ...]:
        """The grid dimensions whose last index selects the tiles that run
        `epilogue_callee` (none: every tile)."""
        return () if self.epilogue_dims is None else tuple(self.epilogue_dims.get_values())

    def prefetched_values(self) -> tuple[int, ...]:
        """The operands whose first tile the call before copies in (none: ())."""
        return () if self.prefetched is None else tuple(self.prefetched.get_values())

    def first_dim_values(self) -> tuple[int, ...]:
        """The grid dimensions whose index 0 selects `first_callee` (none: ())."""
        return () if self.first_dims is None else tuple(self.first_dims.get_values())

    def operand_modes(self) -> tuple[int, ...]:
        return tuple(self.modes.get_values())

    def operand_steps(self) -> list[tuple[int, ...]]:
        return [tuple(s.get_values()) for s in self.steps.data]

    def operand_boxes(self) -> list[tuple[int, ...]]:
        return [tuple(b.get_values()) for b in self.boxes.data]

    def buffer_offsets(self) -> list[tuple[int, int]]:
        v = self.l1_offsets.get_values()
        return [(v[2 * k], v[2 * k + 1]) for k in range(len(v) // 2)]

    def home_offset_values(self) -> tuple[int, ...]:
        """Byte offset of tile (0, 0, 0) in each operand's home buffer."""
        if self.home_offsets is None:
            return (0,) * len(self.args)
        return tuple(self.home_offsets.get_values())

    def dma_bytes(self) -> tuple[int, int]:
        """Bytes the tile driver (runtime/lib/tdrt_tiled.c) moves home -> L1
        and L1 -> home for one call: the grid in order, last dimension
        fastest; an operand whose home offset does not change from one tile
        to the next stays in L1 (no copies), so it moves once per run of
        equal offsets."""
        grid = self.grid_values()
        moved_in = moved_out = 0
        for k, (mode, step) in enumerate(zip(self.operand_modes(), self.operand_steps())):
            if mode == RESIDENT:
                continue
            runs, previous = 0, None
            for idx in itertools.product(*(range(n) for n in grid)):
                offset = sum(i * st for i, st in zip(idx, step))
                if offset != previous:
                    runs += 1
                    previous = offset
            moved = runs * self.tile_bytes(k)
            moved_in += moved if mode & IN else 0
            moved_out += moved if mode & OUT else 0
        return moved_in, moved_out

    def descriptor_bytes(self) -> int:
        """Bytes of the call's operand descriptors (`struct
        tdrt_tiled_operand`, 12 words each), which the tile driver copies
        from L2 into L1 by DMA once per call, besides the tiles."""
        return 12 * 4 * len(self.args)

    def tile_bytes(self, k: int) -> int:
        """Bytes of one tile of operand `k` (one L1 buffer)."""
        row_len, rows, _, planes, _ = self.operand_boxes()[k]
        return row_len * rows * planes

    def buffer_bytes(self, k: int) -> int:
        """Bytes one L1 buffer of operand `k` takes in the tile area."""
        return buffer_bytes(self.tile_bytes(k))

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
            "home_offsets": len(self.home_offset_values()),
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
        for k, (mode, home) in enumerate(zip(self.operand_modes(), self.home_offset_values())):
            if home < 0 or home and mode == RESIDENT:
                raise VerifyException(
                    f"{where}: home offset of operand {k} must be >= 0, and 0 for a resident operand"
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
        if (self.first_callee is None) != (self.first_dims is None):
            raise VerifyException(f"{where}: first_callee and first_dims go together")
        dims = self.first_dim_values()
        if self.first_dims is not None and (
            not dims or len(set(dims)) != len(dims) or any(d not in range(GRID_DIMS) for d in dims)
        ):
            raise VerifyException(
                f"{where}: first_dims must be distinct grid dimensions (0 to {GRID_DIMS - 1}), "
                f"got {list(dims)}"
            )
        dims = self.epilogue_dim_values()
        if self.epilogue_dims is not None and self.epilogue_callee is None:
            raise VerifyException(f"{where}: epilogue_dims without an epilogue_callee")
        if len(set(dims)) != len(dims) or any(d not in range(GRID_DIMS) for d in dims):
            raise VerifyException(
                f"{where}: epilogue_dims must be distinct grid dimensions (0 to {GRID_DIMS - 1}), "
                f"got {list(dims)}"
            )
        prefetched = self.prefetched_values()
        modes = self.operand_modes()
        if len(set(prefetched)) != len(prefetched) or any(
            k not in range(n) or not modes[k] & IN for k in prefetched
        ):
            raise VerifyException(
                f"{where}: prefetched must name distinct operands that are copied in "
                f"(mode 1 or 3), got {list(prefetched)}"
            )
        offsets = self.buffer_offsets()
        for k, (a, b) in enumerate(offsets):
            if a < 0 or b < 0 or a % 4 or b % 4:
                raise VerifyException(
                    f"{where}: L1 buffers of operand {k} must be at word-aligned offsets >= 0"
                )


# ---------------------------------------------------------------------------
# Memory spaces and explicit DMA transfers

LEVELS = ("l1", "l2", "l3")


@irdl_attr_definition
class MemorySpaceAttr(ParametrizedAttribute):
    """`#tier.space<l1>`: the memory tier of a memref (a memory space)."""

    name = "tier.space"
    level: StringAttr

    def __init__(self, level: str):
        super().__init__(StringAttr(level))

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> Sequence[Attribute]:
        with parser.in_angle_brackets():
            pos = parser.pos
            level = parser.parse_identifier(" (the tier: l1, l2 or l3)")
            if level not in LEVELS:
                parser.raise_error(
                    f"unknown memory tier {level!r}; expected l1, l2 or l3", pos, parser.pos
                )
        return (StringAttr(level),)

    def print_parameters(self, printer: Printer) -> None:
        printer.print_string(f"<{self.level.data}>")

    def verify(self) -> None:
        if self.level.data not in LEVELS:
            raise VerifyException(f"unknown memory tier {self.level.data!r}; expected l1, l2 or l3")

    @property
    def tier(self) -> str:
        """The tier's name as the pipeline spells it: "L1", "L2" or "L3"."""
        return self.level.data.upper()


def memref_tier(t: MemRefType) -> str | None:
    """The tier ("L1", "L2", "L3") a memref type names, None without one."""
    space = t.memory_space
    return space.tier if isinstance(space, MemorySpaceAttr) else None


def in_tier(t: MemRefType, tier: str) -> MemRefType:
    """`t` in the memory space of `tier` ("L1", "L2", "L3")."""
    return MemRefType(t.element_type, t.get_shape(), t.layout, MemorySpaceAttr(tier.lower()))


def byte_size(t: MemRefType) -> int:
    """The bytes of a memref of type `t` (elements of under a byte take one)."""
    width = getattr(t.element_type, "bitwidth", 32)
    return prod(t.get_shape()) * max(1, width // 8)


@dataclass(frozen=True)
class Transfer:
    """One DMA transfer as the hardware takes it, sizes in bytes: `rows` rows
    of `row_len` bytes, row starts `src_stride` / `dst_stride` apart (1-D:
    rows == 1, the strides unused)."""

    row_len: int
    rows: int = 1
    src_stride: int = 0
    dst_stride: int = 0


def _element_bytes(t: MemRefType) -> int:
    el = t.element_type
    assert isinstance(el, FixedBitwidthType)
    return el.size


def _is_contiguous(t: MemRefType) -> bool:
    return tuple(t.get_strides() or ()) == tuple(MemRefType.strides_for_shape(t.get_shape()))


def _layout_transfer(
    shape: Sequence[int], src: Sequence[int], dst: Sequence[int], size: int
) -> Transfer | None:
    """The transfer copying a whole view of `shape` between two layouts
    (element strides `src`, `dst`), or None when the views are not one 2-D
    pattern: the innermost dimensions contiguous on both sides make a row,
    the others must fold into one row dimension with one stride per side."""
    dims = [(n, s, d) for n, s, d in zip(shape, src, dst) if n != 1]  # unit dims: any stride
    k, row = len(dims), 1
    while k > 0 and dims[k - 1][1] == row and dims[k - 1][2] == row:
        row *= dims[k - 1][0]
        k -= 1
    if k == 0:
        return Transfer(row * size)
    outer = dims[:k]
    for (_, s0, d0), (n1, s1, d1) in zip(outer, outer[1:]):
        if s0 != s1 * n1 or d0 != d1 * n1:
            return None
    _, s, d = outer[-1]
    return Transfer(row * size, prod(n for n, _, _ in outer), s * size, d * size)


@irdl_op_definition
class DmaStartOp(IRDLOperation):
    """Queue one DMA transfer from `src` to `dst`; the result is its id for
    `tier.dma_wait`.

        %id = tier.dma_start %a to %b : memref<64xf32, #tier.space<l2>> to memref<64xf32, #tier.space<l1>>
        %id = tier.dma_start %a to %b bytes 128 : ...               // 1-D, the first 128 bytes
        %id = tier.dma_start %m to %t bytes 32 rows 4 src_stride 64 dst_stride 32 : ...

    Without `bytes` the whole of `src` is copied into `dst` (same shape); the
    transfer follows their layouts. With `bytes` both memrefs must be
    contiguous and the sizes are taken as given, from their starts. The
    transfer moves raw bytes; nothing converts the element type."""

    name = "tier.dma_start"
    src = operand_def(MemRefType)
    dst = operand_def(MemRefType)
    row_len = opt_prop_def(IntegerAttr[I64], prop_name="bytes")
    rows = opt_prop_def(IntegerAttr[I64])
    src_stride = opt_prop_def(IntegerAttr[I64])
    dst_stride = opt_prop_def(IntegerAttr[I64])
    id = result_def(i32)

    assembly_format = (
        "$src `to` $dst (`bytes` $bytes^)?"
        " (`rows` $rows^ `src_stride` $src_stride `dst_stride` $dst_stride)?"
        " attr-dict `:` type($src) `to` type($dst)"
    )

    def __init__(self, src: SSAValue, dst: SSAValue, transfer: Transfer | None = None):
        props: dict[str, Attribute] = {}
        if transfer is not None:
            props["bytes"] = IntegerAttr(transfer.row_len, i64)
            if transfer.rows != 1:
                props["rows"] = IntegerAttr(transfer.rows, i64)
                props["src_stride"] = IntegerAttr(transfer.src_stride, i64)
                props["dst_stride"] = IntegerAttr(transfer.dst_stride, i64)
        super().__init__(operands=[src, dst], properties=props, result_types=[i32])

    def transfer(self) -> Transfer:
        """The transfer in bytes; raises VerifyException when there is none."""
        src, dst = self.src.type, self.dst.type
        assert isinstance(src, MemRefType) and isinstance(dst, MemRefType)
        where = self.name
        for side, t in (("source", src), ("destination", dst)):
            if not isinstance(t.element_type, FixedBitwidthType) or t.element_type.bitwidth % 8:
                raise VerifyException(
                    f"{where}: the {side} element type {t.element_type} has no byte size"
                )
            if any(n < 0 for n in t.get_shape()):
                raise VerifyException(f"{where}: the {side} {t} needs a static shape")
            strides = t.get_strides()
            if strides is None or any(s is None or s < 0 for s in strides):
                raise VerifyException(
                    f"{where}: the {side} {t} needs a strided layout with static strides >= 0"
                )
            space = t.memory_space
            if not isinstance(space, (NoneAttr, MemorySpaceAttr)):
                raise VerifyException(
                    f"{where}: the {side} memory space must be #tier.space<l1|l2|l3> or none,"
                    f" got {space}"
                )
        if src.element_type != dst.element_type:
            raise VerifyException(
                f"{where}: element types differ: {src.element_type} to {dst.element_type}"
            )
        tiers = (memref_tier(src), memref_tier(dst))
        # the DMA moves between tiers (L1<->L2, L1<->L3, L2<->L3); a copy
        # within one tier is a kernel's job
        if None not in tiers and tiers[0] == tiers[1]:
            raise VerifyException(
                f"{where}: moves {tiers[0]} to {tiers[1]}; the two sides must be in different tiers"
            )
        size = _element_bytes(src)
        given = {
            name: attr.value.data
            for name, attr in (
                ("bytes", self.row_len),
                ("rows", self.rows),
                ("src_stride", self.src_stride),
                ("dst_stride", self.dst_stride),
            )
            if attr is not None
        }
        if not given:
            return self._whole_transfer(src, dst, size)
        if "bytes" not in given:
            raise VerifyException(f"{where}: `rows` needs `bytes` (the length of a row)")
        t = Transfer(
            given["bytes"],
            given.get("rows", 1),
            given.get("src_stride", 0),
            given.get("dst_stride", 0),
        )
        if t.row_len < 1 or t.rows < 1:
            raise VerifyException(
                f"{where}: bytes and rows must be positive, got bytes {t.row_len}, rows {t.rows}"
            )
        if t.src_stride < 0 or t.dst_stride < 0:
            raise VerifyException(f"{where}: strides must be >= 0")
        for name in ("bytes", "src_stride", "dst_stride"):
            if given.get(name, 0) % size:
                raise VerifyException(
                    f"{where}: {name} {given[name]} is not a multiple of the element size"
                    f" ({size} bytes)"
                )
        if t.rows > 1 and t.dst_stride < t.row_len:
            raise VerifyException(
                f"{where}: destination rows overlap (dst_stride {t.dst_stride} < bytes {t.row_len})"
            )
        for side, mt, stride in (("source", src, t.src_stride), ("destination", dst, t.dst_stride)):
            if not _is_contiguous(mt):
                raise VerifyException(
                    f"{where}: with explicit sizes the {side} must be contiguous, got {mt}"
                    " (leave the sizes out to copy a strided view)"
                )
            span = (t.rows - 1) * stride + t.row_len if t.rows > 1 else t.row_len
            have = prod(mt.get_shape()) * size
            if span > have:
                raise VerifyException(
                    f"{where}: the transfer reaches {span} bytes into the {side}, which has {have}"
                )
        return t

    def _whole_transfer(self, src: MemRefType, dst: MemRefType, size: int) -> Transfer:
        if src.get_shape() != dst.get_shape():
            raise VerifyException(
                f"{self.name}: shapes differ ({list(src.get_shape())} to {list(dst.get_shape())});"
                " give `bytes` for a partial copy"
            )
        if prod(src.get_shape()) == 0:
            raise VerifyException(f"{self.name}: the memrefs are empty, nothing to transfer")
        s, d = src.get_strides(), dst.get_strides()
        assert s is not None and d is not None
        t = _layout_transfer(src.get_shape(), s, d, size)  # type: ignore[arg-type] (static: checked)
        if t is None or t.rows > 1 and t.dst_stride < t.row_len:
            raise VerifyException(
                f"{self.name}: the layouts of {src} and {dst} are not one 1-D or 2-D transfer"
                " (rows of contiguous elements, one stride per side)"
            )
        return t

    def verify_(self) -> None:
        self.transfer()


@irdl_op_definition
class DmaWaitOp(IRDLOperation):
    """Block until DMA transfer `id` (from `tier.dma_start`) is complete."""

    name = "tier.dma_wait"
    id = operand_def(i32)
    assembly_format = "$id attr-dict"

    def __init__(self, transfer_id: SSAValue):
        super().__init__(operands=[transfer_id])


@irdl_op_definition
class DmaWaitAllOp(IRDLOperation):
    """Block until every queued DMA transfer is complete."""

    name = "tier.dma_wait_all"
    assembly_format = "attr-dict"

    def __init__(self):
        super().__init__()


@irdl_op_definition
class MmioLwOp(RdRsImmIntegerOperation):
    """`lw rd, imm(rs1)` of a device register whose read has an effect (it
    queues a DMA transfer or blocks until one completes). `riscv.lw` is a
    plain read that CSE may merge and DCE may drop when its result is
    unused; declaring a write as well keeps this one in place."""

    name = "tier.mmio_lw"
    traits = traits_def(MemoryReadEffect(), MemoryWriteEffect())

    def assembly_line(self) -> str | None:
        # the `lw rd, imm(rs1)` form (the base class prints `lw rd, rs1, imm`)
        rd, imm, rs1 = (assembly_arg_str(a) for a in (self.rd, self.immediate, self.rs1))
        return AssemblyPrinter.assembly_line("lw", f"{rd}, {imm}({rs1})", self.comment)


Tier = Dialect(
    "tier",
    [TiledCallOp, DmaStartOp, DmaWaitOp, DmaWaitAllOp, MmioLwOp],
    [MemorySpaceAttr],
)
