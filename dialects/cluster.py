"""`cluster`: the facts passes record on the IR about the program they
compile for the cluster, as typed discardable attributes (MLIR convention:
a discardable attribute is named after the dialect that owns it).

Every name a pass puts on an op lives here, with the attribute type it
carries and the ops it may sit on:

| name                | on                              | value                                      |
|---------------------|---------------------------------|--------------------------------------------|
| `cluster.entry`     | func.func, riscv_func.func      | unit: the program's entry (kernel calls)   |
| `cluster.kernel`    | func.func, riscv_func.func      | string: the op a kernel was lowered from   |
| `cluster.parallel`  | func.func (kernel)              | `array<i64: loop, trip count>` split over the cores |
| `cluster.tile`      | func.func (tile kernel)         | `array<i64: ...>` the tile of each loop    |
| `cluster.untiled`   | func.func (kernel)              | string: why tier-tile-l1 left it untiled   |
| `cluster.role`      | memref.global                   | `#cluster.role<input|param|const|output|arena|tiles>` |
| `cluster.tensor`    | memref.global                   | string: the tensor's name in the model     |
| `cluster.alias_of`  | memref.global                   | `@global` whose bytes this output shares   |
| `cluster.offset`    | memref.alloc                    | i64 >= 0: bytes from its arena's start     |
| `cluster.arena`     | memref.alloc                    | `@global`: its arena, when not `__tdopt_arena` |
| `cluster.scratch`   | memref.alloc                    | unit: lives for one kernel call only       |
| `cluster.memory_plan` | builtin.module, func.func (entry) | `#cluster.memory_plan<...>` byte counts |

The memory tier of a buffer is not an attribute: it is the memory space of
its memref type (`#tier.space<l1>`).

The dialect's ops are the runtime hooks a kernel reads at the loops level,
as `index` values with no registers yet (`convert-cluster-to-riscv`
lowers them late, in the riscv level):

    %id = cluster.core_id : index     // this core's id (mhartid)
    %n = cluster.num_cores : index    // the active cores (the NUM_CORES register)

and `cluster.epilogue`, the elementwise epilogue of a kernel's contraction
(computed where the contraction stores its sums, `convert-cluster-epilogue`).

xDSL has no dialect hook for discardable attributes: `verify_cluster_attributes`
checks one op's `cluster.*` attributes, and tdopt calls it wherever it
verifies the IR (`tools/diagnostics.verify_module`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from abc import ABC
from dataclasses import dataclass
from typing import ClassVar

from xdsl.dialects import func
from xdsl.dialects.builtin import (
    AffineMapAttr,
    ArrayAttr,
    MemRefType,
    DenseArrayBase,
    IndexType,
    IntAttr,
    IntegerAttr,
    ModuleOp,
    NoneAttr,
    StringAttr,
    SymbolRefAttr,
    UnitAttr,
    i64,
)
from xdsl.dialects.linalg.ops import GenericOp
from xdsl.dialects.utils.enum_attribute import EnumAttribute
from xdsl.ir import Attribute, Dialect, Operation, ParametrizedAttribute
from xdsl.ir.affine import AffineMap
from xdsl.irdl import (
    AttrSizedOperandSegments,
    IRDLOperation,
    irdl_attr_definition,
    irdl_op_definition,
    opt_prop_def,
    prop_def,
    region_def,
    result_def,
    traits_def,
    var_operand_def,
)
from xdsl.irdl.operations import ParsePropInAttrDict
from xdsl.parser import AttrParser
from xdsl.printer import Printer
from xdsl.traits import IsTerminator, Pure, SymbolOpInterface, SymbolTable
from xdsl.utils.exceptions import VerifyException
from xdsl.utils.str_enum import StrEnum

ENTRY = "cluster.entry"
KERNEL = "cluster.kernel"
PARALLEL = "cluster.parallel"
TILE = "cluster.tile"
UNTILED = "cluster.untiled"
ROLE = "cluster.role"
TENSOR = "cluster.tensor"
ALIAS_OF = "cluster.alias_of"
OFFSET = "cluster.offset"
ARENA = "cluster.arena"
SCRATCH = "cluster.scratch"
MEMORY_PLAN = "cluster.memory_plan"

# the globals the planning passes create: the activation arena (plan-memory),
# the buffers it spills to L3, and the L1 tile area (tier-tile-l1)
ARENA_GLOBAL = "__tdopt_arena"
ARENA_L3_GLOBAL = "__tdopt_arena_l3"
TILES_GLOBAL = "__tdopt_tiles"
# the runtime's fork trampoline (runtime/crt0.S), which the entry's forks
# pass to tdrt_parallel: loads a0..a7 from a cluster.fork_args block and
# jumps to its kernel
FORK_TRAMPOLINE = "tdrt_call_block"
# the profile table (.bss, `convert-entry-to-riscv{profile}`): per profiled
# call two words, the cycle counter before and after it (read back by tdrun)
PROFILE_TABLE = "__tdopt_profile"
# the record a failed label check leaves in .bss: the address of the bad
# label, its value and the class count (read back by tdrun), and the exit code
LABEL_ERROR = "__tdopt_label_error"
LABEL_EXIT_CODE = 0x1ABE1


class Role(StrEnum):
    """What a global holds: a tensor of the model (input, param, const,
    output) or memory the program plans itself (the activation arena, the
    L1 tile buffers)."""

    INPUT = "input"
    PARAM = "param"
    CONST = "const"
    OUTPUT = "output"
    ARENA = "arena"
    TILES = "tiles"


@irdl_attr_definition
class RoleAttr(EnumAttribute[Role]):
    """`#cluster.role<param>`: the role of a `memref.global`."""

    name = "cluster.role"

    # in angle brackets, as MLIR prints an enum attribute with a mnemonic
    def print_parameter(self, printer: Printer) -> None:
        with printer.in_angle_brackets():
            super().print_parameter(printer)

    @classmethod
    def parse_parameter(cls, parser: AttrParser) -> Role:
        with parser.in_angle_brackets():
            return super().parse_parameter(parser)


# the fields of a memory plan, in printing order, with what they count
PLAN_FIELDS: dict[str, str] = {
    "data": "parameters, inputs and outputs",
    "arena": "activation arena (peak)",
    "l1": "placed in L1",
    "l2": "placed in L2",
    "l3": "spilled to L3 (L2 too small)",
    "tiles": "L1 tile buffers (peak)",
    "tiled_calls": "kernel calls run tile by tile",
    "dma_in": "DMA per step, home -> L1",
    "dma_out": "DMA per step, L1 -> home",
    "dma_floor": "DMA floor per step (least any schedule of these calls moves)",
}


@irdl_attr_definition
class MemoryPlanAttr(ParametrizedAttribute):
    """`#cluster.memory_plan<data = 160, arena = 48, l1 = 208, l2 = 0>`:
    bytes (and tiled calls) by what plan-memory and tier-tile-l1 placed;
    a field a pass did not plan is absent. On the module: the program; on
    an entry function: its own arena."""

    name = "cluster.memory_plan"
    data: IntAttr | NoneAttr
    arena: IntAttr | NoneAttr
    l1: IntAttr | NoneAttr
    l2: IntAttr | NoneAttr
    l3: IntAttr | NoneAttr
    tiles: IntAttr | NoneAttr
    tiled_calls: IntAttr | NoneAttr
    dma_in: IntAttr | NoneAttr
    dma_out: IntAttr | NoneAttr
    dma_floor: IntAttr | NoneAttr

    @staticmethod
    def of(**fields: int | None) -> MemoryPlanAttr:
        unknown = set(fields) - set(PLAN_FIELDS)
        if unknown:
            raise ValueError(f"unknown memory plan fields {sorted(unknown)}")
        return MemoryPlanAttr(
            *(NoneAttr() if fields.get(k) is None else IntAttr(fields[k]) for k in PLAN_FIELDS)  # type: ignore[arg-type]
        )

    def fields(self) -> dict[str, int]:
        """The planned fields, by name."""
        return {
            k: v.data for k, v in zip(PLAN_FIELDS, self.parameters) if isinstance(v, IntAttr)
        }

    def get(self, field: str) -> int:
        """A field's count, 0 when not planned."""
        return self.fields().get(field, 0)

    def updated(self, **fields: int | None) -> MemoryPlanAttr:
        return MemoryPlanAttr.of(**{**self.fields(), **fields})

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> Sequence[Attribute]:
        values: dict[str, int] = {}

        def field() -> None:
            pos = parser.pos
            key = parser.parse_identifier(" (a memory plan field)")
            if key not in PLAN_FIELDS:
                parser.raise_error(
                    f"unknown memory plan field {key!r}; expected one of "
                    f"{', '.join(PLAN_FIELDS)}", pos, parser.pos,
                )
            if key in values:
                parser.raise_error(f"memory plan field {key!r} given twice", pos, parser.pos)
            parser.parse_punctuation("=")
            values[key] = parser.parse_integer(allow_boolean=False, allow_negative=False)

        parser.parse_comma_separated_list(parser.Delimiter.ANGLE, field)
        return MemoryPlanAttr.of(**values).parameters  # type: ignore[arg-type]

    def print_parameters(self, printer: Printer) -> None:
        printer.print_string(
            "<" + ", ".join(f"{k} = {v}" for k, v in self.fields().items()) + ">"
        )

    def verify(self) -> None:
        for k, v in zip(PLAN_FIELDS, self.parameters):
            if isinstance(v, IntAttr) and v.data < 0:
                raise VerifyException(f"#cluster.memory_plan: {k} = {v.data} is negative")


# ---------------------------------------------------------------------------
# Runtime hooks: values a kernel reads at run time
#
# Pure: each is fixed while a kernel runs (the core count for the whole run,
# the id per core), so cse may merge two reads and a dead one goes. They
# are created outside the loop nests (cluster-parallelize: before the nest),
# where licm, which only lifts ops out of loops, leaves them in place.


class RuntimeValueOp(IRDLOperation, ABC):
    """An `index` value the cluster gives a kernel at run time."""

    result = result_def(IndexType)

    traits = traits_def(Pure())
    assembly_format = "attr-dict `:` type($result)"

    def __init__(self) -> None:
        super().__init__(result_types=[IndexType()])


@irdl_op_definition
class CoreIdOp(RuntimeValueOp):
    """`%id = cluster.core_id : index`: the id of the core running this
    code, 0 .. `cluster.num_cores` - 1 (the `mhartid` CSR)."""

    name = "cluster.core_id"


@irdl_op_definition
class NumCoresOp(RuntimeValueOp):
    """`%n = cluster.num_cores : index`: the number of cores the run uses
    (the cluster's `NUM_CORES` register), read at run time so that one
    program serves any core count."""

    name = "cluster.num_cores"


@irdl_op_definition
class UnrollOp(IRDLOperation):
    """`cluster.unroll 4`, in the body of an innermost loop with a constant
    trip count that the factor divides (placed first; conversions may put
    casts before it): the loop is to run its
    body `factor` times per iteration, unrolled at the riscv level
    (`riscv-scf-unroll`), where strength reduction has made its addresses
    pointers and the copies' addresses become load and store immediates.
    `kernel-unroll-innermost{defer=true}` places it; unrolled there, every
    copy would go through the conversions and cleanups to riscv (a quarter
    of a large step's lowering time). It has no operands and no
    memory-effect trait (its effects count as unknown), so nothing folds,
    moves or removes it before its pass does; a module that still holds one
    cannot be printed as assembly."""

    name = "cluster.unroll"
    factor = prop_def(IntegerAttr[IndexType])
    assembly_format = "$factor attr-dict"

    def __init__(self, factor: int) -> None:
        super().__init__(properties={"factor": IntegerAttr(factor, IndexType())})

    def verify_(self) -> None:
        f = self.factor.value.data
        if f < 2 or f & (f - 1):
            raise VerifyException(f"'{self.name}': the factor must be a power of two >= 2, got {f}")
        parent = self.parent_op()
        if parent is None or parent.name not in ("scf.for", "riscv_scf.for"):
            raise VerifyException(f"'{self.name}': must be in the body of an scf.for or riscv_scf.for")


@irdl_op_definition
class EpilogueOp(IRDLOperation):
    """The elementwise epilogue of a kernel's contraction, in the kernel
    after its `linalg.generic`: the body runs on each element of operand
    `result` (T, the contraction's output) that the contraction stores for
    the last time, with the elements of the other operands at their maps'
    indices (maps over T's dimensions), and what it yields is stored into
    `outs` at their maps' indices (T among them when the body updates it in
    place; otherwise T keeps the contraction's value, or with
    `discard_result`, when nothing reads T after the kernel, is not stored).

        cluster.epilogue result(1) ins(%bias, %t : memref<16xf32>, memref<32x16xf32>)
            outs(%y : memref<32x16xf32>) {indexing_maps = [affine_map<(d0, d1) -> (d1)>, ...]} {
        ^bb0(%b: f32, %x: f32, %out: f32):
          ...
          linalg.yield %r : f32
        }

    `kernel-fold-epilogue` makes it from a tiled call's epilogue kernel when
    the call's tiles cut no reduction loop; `convert-cluster-epilogue`
    (after the contraction is loops) computes the body right before each of
    those stores, on the value stored, so the epilogue costs its body's
    arithmetic and no pass over T."""

    name = "cluster.epilogue"
    # elements whose epilogues convert-cluster-epilogue computes op by op
    # together: four chains hide the FPU's and the loads' latency (two leave
    # stalls: 0.8 % more cycles on a 32x128x128 product with bias and ReLU)
    CHAIN: ClassVar[int] = 4

    result = prop_def(IntegerAttr[IndexType])
    # T's final values are not stored: nothing reads T after the kernel
    discard_result = opt_prop_def(UnitAttr)
    indexing_maps = prop_def(ArrayAttr[AffineMapAttr])
    ins = var_operand_def(MemRefType)
    outs = var_operand_def(MemRefType)
    body = region_def("single_block")
    irdl_options = (AttrSizedOperandSegments(as_property=True), ParsePropInAttrDict())
    assembly_format = (
        "`result` `(` $result `)` (`ins` `(` $ins^ `:` type($ins) `)`)? "
        "`outs` `(` $outs `:` type($outs) `)` attr-dict-with-keyword $body"
    )

    def verify_(self) -> None:
        operands = [*self.ins, *self.outs]
        maps = [m.data for m in self.indexing_maps.data]
        k = self.result.value.data
        if not 0 <= k < len(operands):
            raise VerifyException(f"'{self.name}': result({k}) names no operand ({len(operands)})")
        t = operands[k].type
        assert isinstance(t, MemRefType)
        rank = t.get_num_dims()
        if len(maps) != len(operands):
            raise VerifyException(f"'{self.name}': {len(maps)} indexing maps for {len(operands)} operands")
        for i, (m, v) in enumerate(zip(maps, operands)):
            if m.num_dims != rank or len(m.results) != v.type.get_num_dims():  # type: ignore[attr-defined]
                raise VerifyException(
                    f"'{self.name}': the map of operand {i} must take T's {rank} dimensions and give "
                    f"one index per dimension of its buffer"
                )
        if maps[k] != AffineMap.identity(rank):
            raise VerifyException(f"'{self.name}': T (operand {k}) must be reached through the identity map")
        if self.discard_result is not None and k >= len(self.ins):
            raise VerifyException(f"'{self.name}': discard_result, but the body writes T (operand {k})")
        block = self.body.block
        if len(block.args) != len(operands):
            raise VerifyException(f"'{self.name}': the body takes one element per operand ({len(operands)})")
        last = block.last_op
        if last is None or last.name != "linalg.yield" or len(last.operands) != len(self.outs):
            raise VerifyException(f"'{self.name}': the body must end in a linalg.yield of one value per output")


class _KernelHomesOp(IRDLOperation, ABC):
    """A kernel and the homes of its buffers, a symbol plus a byte offset
    each (in argument order)."""

    kernel = prop_def(SymbolRefAttr)
    homes = prop_def(ArrayAttr)
    home_offsets = prop_def(DenseArrayBase)

    irdl_options = (ParsePropInAttrDict(),)

    def addresses(self) -> list[tuple[str, int]]:
        """The buffers' homes: (symbol, byte offset) each."""
        return [
            (home.string_value(), off)
            for home, off in zip(self.homes.data, self.values("home_offsets"))  # type: ignore[attr-defined]
        ]

    def values(self, field: str) -> tuple[int, ...]:
        """An integer array property's values."""
        a = self.properties[field]
        assert isinstance(a, DenseArrayBase)
        return tuple(a.get_values())  # type: ignore[arg-type]

    def _verify_arrays(self, *fields: str) -> None:
        """`fields` (and home_offsets) are arrays of i64; homes are symbols,
        as many as their offsets."""
        for field in (*fields, "home_offsets"):
            a = self.properties[field]
            if not (isinstance(a, DenseArrayBase) and a.elt_type == i64):
                raise VerifyException(f"'{self.name}': {field} must be an array<i64: ...>")
        homes = self.homes.data  # type: ignore[attr-defined]
        if not all(isinstance(h, SymbolRefAttr) for h in homes):
            raise VerifyException(f"'{self.name}': homes must be symbols")
        if len(self.values("home_offsets")) != len(homes):
            raise VerifyException(f"'{self.name}': {len(homes)} homes but {len(self.values('home_offsets'))} offsets")

    def verify_(self) -> None:
        """The arrays, and at most as many buffers as argument registers
        (a kernel's arguments)."""
        from tdopt.target import CLUSTER

        self._verify_arrays()
        n = len(self.homes.data)  # type: ignore[attr-defined]
        if n > CLUSTER.arg_regs:
            raise VerifyException(
                f"'{self.name}': {n} buffers; a kernel takes at most {CLUSTER.arg_regs} in registers"
            )


class DataBlockOp(_KernelHomesOp, ABC):
    """A block of read-only data the runtime reads for a kernel call (named
    by its symbol): the kernel and the homes of its buffers. `convert-
    cluster-to-riscv` writes it as words."""

    sym_name = prop_def(StringAttr)

    traits = traits_def(SymbolOpInterface())
    assembly_format = "$sym_name attr-dict"


@irdl_op_definition
class TiledDescriptorOp(DataBlockOp):
    """The descriptor of one tiled call (`struct tdrt_tiled_call`, read by
    the runtime's `tdrt_tiled`) as data: `convert-entry-to-riscv` makes one
    per `tier.tiled_call` in the read-only data, `convert-cluster-to-riscv`
    writes it as the struct's words in the order and with the flag values
    of runtime/include/tdrt_tiled.h.

        cluster.tiled_descriptor "__tdopt_tiled_0" {kernel = @k, grid = array<i64: 2, 1, 1>,
            first_dims = array<i64>, modes = array<i64: 2>, homes = [@out],
            home_offsets = array<i64: 0>, l1_offsets = array<i64: 0, 8192>,
            steps = array<i64: 8192, 0, 0>, boxes = array<i64: 8192, 1, 8192, 1, 8192>}

    Per operand (n of them, at most TDRT_TILED_MAX_OPERANDS): its mode (IN 1
    | OUT 2; 0: resident, used in place at its home), its home (a symbol and
    a byte offset), its two L1 buffers (offsets in the tile area
    `__tdopt_tiles`; 0 for a resident operand), the home bytes between
    neighbouring tiles per grid dimension (3), and its DMA box (5: row
    bytes, rows, row stride, planes, plane stride). `parallel`,
    `first_parallel` and `epilogue_parallel`: the kernel (the first kernel,
    the epilogue) is forked over the cores; the first kernel runs on the
    tiles at index 0 in every grid dimension of `first_dims`, the epilogue
    after the kernel on the tiles at the last index in every grid dimension
    of `epilogue_dims`. `next` and `prefetch`: the descriptor of the tiled
    call that runs next, and those of its operands whose first tiles this
    call copies in during its last tile; `prefetched`: this call's operands
    that the call before copied in (not copied again)."""

    name = "cluster.tiled_descriptor"
    first_kernel = opt_prop_def(SymbolRefAttr)
    first_dims = prop_def(DenseArrayBase)
    parallel = opt_prop_def(UnitAttr)
    first_parallel = opt_prop_def(UnitAttr)
    epilogue = opt_prop_def(SymbolRefAttr)
    epilogue_dims = opt_prop_def(DenseArrayBase)
    epilogue_parallel = opt_prop_def(UnitAttr)
    next = opt_prop_def(SymbolRefAttr)
    prefetch = opt_prop_def(DenseArrayBase)
    prefetched = opt_prop_def(DenseArrayBase)
    grid = prop_def(DenseArrayBase)
    modes = prop_def(DenseArrayBase)
    l1_offsets = prop_def(DenseArrayBase)
    steps = prop_def(DenseArrayBase)
    boxes = prop_def(DenseArrayBase)

    def verify_(self) -> None:
        from tdopt.runtime.tiled import TILED

        n = len(self.values("modes"))
        limit = TILED.defines["TDRT_TILED_MAX_OPERANDS"]
        if n > limit:
            raise VerifyException(f"'{self.name}': {n} operands, the runtime's descriptor holds at most {limit}")
        self._verify_arrays("first_dims", "grid", "modes", "l1_offsets", "steps", "boxes")
        for field, per in (("home_offsets", 1), ("l1_offsets", 2), ("steps", 3), ("boxes", 5)):
            count = len(self.values(field))
            if count != per * n:
                raise VerifyException(
                    f"'{self.name}': {field} has {count} values; {per} per operand ({n} operands) expected"
                )
        grid = self.values("grid")
        if len(grid) != 3 or min(grid) < 1:
            raise VerifyException(f"'{self.name}': grid must be 3 tile counts >= 1, got {list(grid)}")
        bad = [m for m in self.values("modes") if m not in (0, 1, 2, 3)]
        if bad:
            raise VerifyException(f"'{self.name}': operand modes are 0 (resident) to 3 (IN | OUT), got {bad[0]}")
        dims = self.values("first_dims")
        if sorted(set(dims)) != list(dims) or any(d not in (0, 1, 2) for d in dims):
            raise VerifyException(f"'{self.name}': first_dims must be distinct grid dimensions (0-2) in order")
        if self.first_kernel is None and (dims or self.first_parallel is not None):
            raise VerifyException(f"'{self.name}': first_dims and first_parallel need a first_kernel")
        if (self.next is None) != (self.prefetch is None):
            raise VerifyException(f"'{self.name}': next and prefetch go together")
        for field, bound in (("prefetch", limit), ("prefetched", n)):
            if self.properties.get(field) is None:
                continue
            self._verify_arrays(field)
            got = self.values(field)
            if not got or len(set(got)) != len(got) or any(k not in range(bound) for k in got):
                raise VerifyException(
                    f"'{self.name}': {field} must be distinct operand indices below {bound}, got {list(got)}"
                )
        modes = self.values("modes")
        if self.prefetched is not None and any(not modes[k] & 1 for k in self.values("prefetched")):
            raise VerifyException(f"'{self.name}': a prefetched operand must be copied in (mode 1 or 3)")


@irdl_op_definition
class ForkArgsOp(DataBlockOp):
    """`cluster.fork_args "label" {kernel = @k, homes = [@a, @b],
    home_offsets = array<i64: 0, 64>}`: what every core needs to run a forked
    kernel call, as data: the kernel and its buffers' addresses (a symbol
    plus a byte offset each), at most as many as the argument registers.
    `convert-cluster-to-riscv` writes the block the fork trampoline reads:
    the kernel's address, then one word per argument register."""

    name = "cluster.fork_args"


class _RunOp(IRDLOperation, ABC):
    """A call into the runtime from the entry function (fixed registers)
    with the address of a data block; no operands, no results, effects
    unknown (nothing moves or removes it)."""

    block = prop_def(SymbolRefAttr)
    assembly_format = "$block attr-dict"

    def __init__(self, block: str) -> None:
        super().__init__(properties={"block": SymbolRefAttr(block)})


@irdl_op_definition
class ForkOp(_RunOp):
    """`cluster.fork @args`: every active core runs the kernel call that the
    `cluster.fork_args` block `@args` describes, and the op returns when all
    have finished (the join, the barrier between kernels): the runtime's
    `tdrt_parallel` with the fork trampoline."""

    name = "cluster.fork"


@irdl_op_definition
class RunTiledOp(_RunOp):
    """`cluster.run_tiled @desc`: the tiled call that the
    `cluster.tiled_descriptor` `@desc` describes (the runtime's
    `tdrt_tiled`)."""

    name = "cluster.run_tiled"


@irdl_op_definition
class KernelCallOp(_KernelHomesOp):
    """`cluster.call {kernel = @k, homes = [@a, @b], home_offsets =
    array<i64: 0, 64>}`: the entry calls the kernel on its own core (core
    0), its buffers' addresses in the argument registers. No operands, no
    results, effects unknown (nothing moves or removes it)."""

    name = "cluster.call"
    assembly_format = "attr-dict"


def _non_negative(op: IRDLOperation, *fields: str, minimum: int = 0) -> None:
    for field in fields:
        a = op.properties[field]
        if not (isinstance(a, IntegerAttr) and a.value.data >= minimum):
            raise VerifyException(f"'{op.name}': {field} must be an integer >= {minimum}")


@irdl_op_definition
class CycleStampOp(IRDLOperation):
    """`cluster.cycle_stamp {slot = 3, word = 1}`: the cluster's cycle
    counter (low 32 bits) stored into word `word` (0: before the call, 1:
    after it) of profiled call `slot` in the profile table
    (`PROFILE_TABLE`). Effects unknown."""

    name = "cluster.cycle_stamp"
    slot = prop_def(IntegerAttr)
    word = prop_def(IntegerAttr)

    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "attr-dict"

    def verify_(self) -> None:
        _non_negative(self, "slot", "word")
        if self.word.value.data > 1:  # type: ignore[attr-defined]
            raise VerifyException(f"'{self.name}': word must be 0 (before the call) or 1 (after it)")


@irdl_op_definition
class CheckLabelsOp(IRDLOperation):
    """`cluster.check_labels {labels = @y, offset = 0, rows = 8, classes = 10,
    index = 0}`: core 0 checks the `rows` i32 class labels at the home
    `labels` + `offset` bytes against `classes`; the first out of range
    (a negative label compares as a large unsigned number) stops the run
    with exit code LABEL_EXIT_CODE, its address, value and the class count
    in the record LABEL_ERROR. `index` numbers the checks of a program
    (their labels). Effects unknown."""

    name = "cluster.check_labels"
    labels = prop_def(SymbolRefAttr)
    offset = prop_def(IntegerAttr)
    rows = prop_def(IntegerAttr)
    classes = prop_def(IntegerAttr)
    index = prop_def(IntegerAttr)

    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "attr-dict"

    def verify_(self) -> None:
        _non_negative(self, "offset", "index")
        _non_negative(self, "rows", "classes", minimum=1)


@irdl_op_definition
class ReturnOp(IRDLOperation):
    """`cluster.return`: the end of the entry function, which returns 0 to
    the runtime's crt0. `convert-cluster-to-riscv` lays the entry's stack
    frame around its body (16 bytes, `ra` kept across the entry's calls)
    and returns. The last op of a `riscv_func.func` marked `cluster.entry`."""

    name = "cluster.return"
    assembly_format = "attr-dict"
    traits = traits_def(IsTerminator())

    def verify_(self) -> None:
        parent = self.parent_op()
        if parent is None or parent.name != "riscv_func.func" or ENTRY not in parent.attributes:
            raise VerifyException(f"'{self.name}': ends the entry, a riscv_func.func marked {ENTRY}")


Cluster = Dialect(
    "cluster",
    [CoreIdOp, NumCoresOp, UnrollOp, EpilogueOp, TiledDescriptorOp, ForkArgsOp, ForkOp, RunTiledOp,
     KernelCallOp, CycleStampOp, CheckLabelsOp, ReturnOp],
    [RoleAttr, MemoryPlanAttr],
)


# ---------------------------------------------------------------------------
# Verification of the discardable attributes


def _i64_array(what: str, length: int | None = None, minimum: int = 0) -> Callable[[Attribute], str | None]:
    form = f"array<i64: ...> of {length} values" if length is not None else "array<i64: ...>"
    wanted = f"must be {what} ({form}, each >= {minimum})"

    def check(a: Attribute) -> str | None:
        if not (isinstance(a, DenseArrayBase) and a.elt_type == i64):
            return wanted
        values = a.get_values()
        if (length is not None and len(values) != length) or any(v < minimum for v in values):
            return wanted
        return None

    return check


def _kind(cls: type[Attribute], what: str) -> Callable[[Attribute], str | None]:
    return lambda a: None if isinstance(a, cls) else f"must be {what}"


def _offset(a: Attribute) -> str | None:
    ok = isinstance(a, IntegerAttr) and a.type == i64 and a.value.data >= 0
    return None if ok else "must be a byte offset (an i64 integer >= 0)"


FUNCS = ("func.func", "riscv_func.func")


@dataclass(frozen=True)
class Spec:
    """Where an attribute may sit and what it must hold (None: fine, else
    what is wrong)."""

    ops: tuple[str, ...]
    check: Callable[[Attribute], str | None]


SPECS: dict[str, Spec] = {
    ENTRY: Spec(FUNCS, _kind(UnitAttr, "a unit attribute")),
    KERNEL: Spec(FUNCS, _kind(StringAttr, "a string (the op the kernel was lowered from)")),
    PARALLEL: Spec(("func.func",), _i64_array("[loop, trip count]", length=2)),
    TILE: Spec(("func.func",), _i64_array("the tile of each loop", minimum=1)),
    UNTILED: Spec(("func.func",), _kind(StringAttr, "a string (the reason)")),
    ROLE: Spec(("memref.global",), _kind(RoleAttr, "#cluster.role<...>")),
    TENSOR: Spec(("memref.global",), _kind(StringAttr, "a string (the tensor's name)")),
    ALIAS_OF: Spec(("memref.global",), _kind(SymbolRefAttr, "a symbol reference (@global)")),
    OFFSET: Spec(("memref.alloc",), _offset),
    ARENA: Spec(("memref.alloc",), _kind(SymbolRefAttr, "a symbol reference (@arena global)")),
    SCRATCH: Spec(("memref.alloc",), _kind(UnitAttr, "a unit attribute")),
    MEMORY_PLAN: Spec(("builtin.module", "func.func"), _kind(MemoryPlanAttr, "#cluster.memory_plan<...>")),
}
# attributes naming another global of the module
SYMBOL_REFS = (ALIAS_OF, ARENA)


def verify_cluster_attributes(op: Operation) -> None:
    """Check every `cluster.*` discardable attribute of `op`: a known name,
    on a kind of op it belongs on, holding its type; a symbol it names
    exists. Raises VerifyException saying what is accepted."""
    for name, value in op.attributes.items():
        if not name.startswith("cluster."):
            continue
        spec = SPECS.get(name)
        if spec is None:
            raise VerifyException(
                f"'{op.name}': unknown attribute '{name}'; the cluster dialect's attributes "
                f"are {', '.join(SPECS)}"
            )
        if op.name not in spec.ops:
            raise VerifyException(
                f"'{op.name}': attribute '{name}' belongs on {' or '.join(spec.ops)}"
            )
        wrong = spec.check(value)
        if wrong is not None:
            raise VerifyException(f"'{op.name}': attribute '{name}' {wrong}, got {value}")
        if name in SYMBOL_REFS:
            assert isinstance(value, SymbolRefAttr)
            if SymbolTable.lookup_symbol(op, value) is None:
                raise VerifyException(f"'{op.name}': attribute '{name}' names {value}, which is not defined")


# ---------------------------------------------------------------------------
# Readers (None where the attribute is absent)


def is_entry(op: Operation) -> bool:
    return ENTRY in op.attributes


def kernel_kind(op: Operation) -> str | None:
    """The op a kernel function was lowered from (e.g. `grad_relu`)."""
    a = op.attributes.get(KERNEL)
    return a.data if isinstance(a, StringAttr) else None


def kernel_generics(module: ModuleOp) -> list[GenericOp]:
    """The linalg.generic of each kernel function that is a single one."""
    out = []
    for f in module.ops:
        if isinstance(f, func.FuncOp) and KERNEL in f.attributes:
            gs = [o for o in f.body.block.ops if isinstance(o, GenericOp)]
            if len(gs) == 1:
                out.append(gs[0])
    return out


def role_of(op: Operation) -> Role | None:
    a = op.attributes.get(ROLE)
    return a.data if isinstance(a, RoleAttr) else None


def tensor_of(op: Operation) -> str | None:
    a = op.attributes.get(TENSOR)
    return a.data if isinstance(a, StringAttr) else None


def alias_of(op: Operation) -> str | None:
    """The global whose bytes an output global shares."""
    a = op.attributes.get(ALIAS_OF)
    return a.string_value() if isinstance(a, SymbolRefAttr) else None


def parallel_of(op: Operation) -> tuple[int, int] | None:
    """(loop, trip count) a kernel is split over the cores along."""
    a = op.attributes.get(PARALLEL)
    if not isinstance(a, DenseArrayBase):
        return None
    d, trips = a.get_values()
    return int(d), int(trips)


def offset_of(op: Operation) -> int | None:
    a = op.attributes.get(OFFSET)
    return a.value.data if isinstance(a, IntegerAttr) else None


def arena_of_alloc(op: Operation) -> str | None:
    a = op.attributes.get(ARENA)
    return a.string_value() if isinstance(a, SymbolRefAttr) else None


def arena_of(alloc: Operation) -> str:
    """The arena global a planned buffer lives in."""
    return arena_of_alloc(alloc) or ARENA_GLOBAL


def memory_plan(op: Operation) -> MemoryPlanAttr | None:
    a = op.attributes.get(MEMORY_PLAN)
    return a if isinstance(a, MemoryPlanAttr) else None


def role_attr(role: str | Role) -> RoleAttr:
    return RoleAttr(Role(role))
