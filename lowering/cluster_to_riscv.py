"""`convert-cluster-to-riscv`: the runtime hooks of the `cluster` dialect
become the instructions that read them on the cluster:

    cluster.core_id     csrrs rd, mhartid, zero           (read-only CSR read)
    cluster.num_cores   li base, PERIPH_BASE; lw rd, NUM_CORES(base)

The CSR number and the register offsets come from `CLUSTER`
(runtime/include/tdrt_regs.h). Each result goes back to `index` through an
unrealized cast, as xDSL's riscv conversions do; `reconcile-unrealized-casts`
removes the casts once the users are riscv too. The instructions take the
place of the op (for `cluster-parallelize`: before the sliced loop nest),
so the register allocator sees them where the loops level read the values.
The ops may sit in `func.func` or `riscv_func.func`; the pass runs in
TO_RISCV right after `convert-func-to-riscv-func` (the loops level holds no
registers).

The entry's `cluster.fork @args` becomes `tdrt_parallel(tdrt_call_block,
args)`, `cluster.run_tiled @desc` `tdrt_tiled(desc)`, `cluster.call` the
buffers' addresses in a0.. and a `call`, `cluster.cycle_stamp` a store of
the cycle counter into the profile table, `cluster.check_labels` a loop over
the labels that stops the run on the first out of range, `cluster.return`
the entry's stack frame (16 bytes, `ra`) around its body and the return of
0; a
`cluster.fork_args` block becomes the kernel's address and one word per
argument register, and a `cluster.tiled_descriptor` the words of
`struct tdrt_tiled_call`: the fields in the order
runtime/include/tdrt_tiled.h declares them (`runtime/tiled.py` reads the
header), the flags with its values, and the operands the call has (the
runtime reads no further). A field of the header the op has no value for
is an error naming it.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import riscv, riscv_func, rv32
from xdsl.dialects.builtin import IntegerAttr, ModuleOp, UnrealizedConversionCastOp, i32
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint
from xdsl.utils.exceptions import PassFailedException
from xdsl.pattern_rewriter import (
    GreedyRewritePatternApplier,
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)

from tdopt.dialects.cluster import (
    FORK_TRAMPOLINE,
    LABEL_ERROR,
    LABEL_EXIT_CODE,
    PROFILE_TABLE,
    TILES_GLOBAL,
    CheckLabelsOp,
    CoreIdOp,
    CycleStampOp,
    ForkArgsOp,
    ForkOp,
    KernelCallOp,
    NumCoresOp,
    ReturnOp as EntryReturnOp,
    RunTiledOp,
    TiledDescriptorOp,
)
from tdopt.dialects.rvx import AsmOp, symbol_address
from tdopt.runtime.tiled import TILED, TiledLayout
from tdopt.target import CLUSTER

MHARTID = CLUSTER.csr_mhartid
PERIPH_BASE = CLUSTER.periph_base
NUM_CORES = CLUSTER.regs["NUM_CORES"]


class LowerCoreId(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: CoreIdOp, rewriter: PatternRewriter) -> None:
        zero = rv32.GetRegisterOp(riscv.Registers.ZERO)
        # csrrs with rs1 = zero sets no bit: a pure read of mhartid
        read = riscv.CsrrsOp(zero.res, IntegerAttr(MHARTID, i32), readonly=True)
        cast = UnrealizedConversionCastOp.get([read.rd], [op.result.type])
        rewriter.replace(op, [zero, read, cast], cast.results)


class LowerNumCores(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: NumCoresOp, rewriter: PatternRewriter) -> None:
        # a plain load: the count does not change during a run, so unlike
        # the DMA registers' blocking reads it needs no volatile `tier.mmio_lw`
        base = rv32.LiOp(PERIPH_BASE)
        load = riscv.LwOp(base.rd, NUM_CORES)
        cast = UnrealizedConversionCastOp.get([load.rd], [op.result.type])
        rewriter.replace(op, [base, load, cast], cast.results)


def descriptor_words(op: TiledDescriptorOp, layout: TiledLayout = TILED) -> list[str]:
    """The words of `op`'s `struct tdrt_tiled_call`, as `layout` orders them."""
    d = layout.defines
    n = len(op.values("modes"))
    first = op.first_kernel.string_value() if op.first_kernel is not None else None
    flags = d["TDRT_TILED_PARALLEL"] if op.parallel is not None else 0
    if first is not None:
        flags |= d["TDRT_TILED_FIRST"] | (d["TDRT_TILED_FIRST_PARALLEL"] if op.first_parallel is not None else 0)
    epilogue = op.epilogue.string_value() if op.epilogue is not None else None
    if epilogue is not None:
        flags |= d["TDRT_TILED_EPILOGUE"] | (
            d["TDRT_TILED_EPILOGUE_PARALLEL"] if op.epilogue_parallel is not None else 0
        )
    epilogue_dims = op.values("epilogue_dims") if op.epilogue_dims is not None else ()
    if op.next is not None:
        flags |= d["TDRT_TILED_PREFETCH"]
    prefetched = set(op.values("prefetched")) if op.prefetched is not None else set()
    call: dict[str, list[str]] = {
        "kernel": [op.kernel.string_value()],
        "first_kernel": [first or "0"],
        "first_dims": [str(sum(1 << k for k in op.values("first_dims")))],
        "epilogue": [epilogue or "0"],
        "epilogue_dims": [str(sum(1 << k for k in epilogue_dims))],
        "flags": [str(flags)],
        "next": [op.next.string_value() if op.next is not None else "0"],
        "prefetch": [str(sum(1 << k for k in op.values("prefetch"))) if op.prefetch is not None else "0"],
        "operands": [str(n)],
        "grid": [str(g) for g in op.values("grid")],
    }
    modes, offsets = op.values("modes"), op.values("home_offsets")
    l1, steps, boxes = op.values("l1_offsets"), op.values("steps"), op.values("boxes")
    box_fields = ("row_len", "rows", "row_stride", "planes", "plane_stride")
    operands = []
    for i, (mode, home_ref) in enumerate(zip(modes, op.homes.data)):  # type: ignore[attr-defined]
        home = symbol_address(home_ref.string_value(), offsets[i])
        buffers = [home, home] if mode == 0 else [f"{TILES_GLOBAL}+{b}" for b in l1[2 * i : 2 * i + 2]]
        if i in prefetched:
            mode |= d["TDRT_TILE_PREFETCHED"]
        fields = {"mode": [str(mode)], "home": [home], "l1": buffers, "step": [str(v) for v in steps[3 * i : 3 * i + 3]]}
        fields.update((name, [str(v)]) for name, v in zip(box_fields, boxes[5 * i : 5 * i + 5]))
        operands.append(_in_order(fields, layout.operand_fields, "tdrt_tiled_operand"))
    call["operand"] = [w for words in operands for w in words]
    # the operand array is written up to the call's operand count (the
    # runtime reads no further)
    per_operand = sum(count for _, count in layout.operand_fields)
    order = tuple((name, n * per_operand if name == "operand" else count) for name, count in layout.call_fields)
    return _in_order(call, order, "tdrt_tiled_call")


def _in_order(values: dict[str, list[str]], fields: tuple[tuple[str, int], ...], struct: str) -> list[str]:
    """`values` (words per field name) in the order of `fields`, each with
    the element count the header gives it."""
    words: list[str] = []
    for name, count in fields:
        if name not in values:
            raise PassFailedException(
                f"convert-cluster-to-riscv: runtime/include/tdrt_tiled.h declares {struct}.{name}, "
                "which cluster.tiled_descriptor has no value for"
            )
        got = values[name]
        if len(got) != count:
            raise PassFailedException(
                f"convert-cluster-to-riscv: {struct}.{name} has {count} elements in "
                f"runtime/include/tdrt_tiled.h, the descriptor gives {len(got)}"
            )
        words += got
    return words


def fork_words(op: ForkArgsOp) -> list[str]:
    """The fork trampoline's block: the kernel, then a word per argument
    register (the buffers' addresses, 0 for the unused ones)."""
    addrs = [symbol_address(sym, off) for sym, off in op.addresses()]
    return [op.kernel.string_value(), *addrs, *["0"] * (CLUSTER.arg_regs - len(addrs))]


class LowerDataBlock(RewritePattern):
    """A fork's or a tiled call's data block -> its label and words."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: TiledDescriptorOp | ForkArgsOp, rewriter: PatternRewriter) -> None:
        words = descriptor_words(op) if isinstance(op, TiledDescriptorOp) else fork_words(op)
        rewriter.replace(op, [
            riscv.DirectiveOp(".p2align", "2"),
            riscv.LabelOp(op.sym_name.data),
            riscv.DirectiveOp(".word", ", ".join(words)),
        ], [])


class LowerRuntimeCall(RewritePattern):
    """The entry's fork -> tdrt_parallel(tdrt_call_block, args); its tiled call
    -> tdrt_tiled(desc)."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: ForkOp | RunTiledOp, rewriter: PatternRewriter) -> None:
        block = op.block.string_value()
        if isinstance(op, ForkOp):
            new = [AsmOp(f"la a0, {FORK_TRAMPOLINE}"), AsmOp(f"la a1, {block}"), AsmOp("call tdrt_parallel")]
        else:
            new = [AsmOp(f"la a0, {block}"), AsmOp("call tdrt_tiled")]
        rewriter.replace(op, new, [])


class LowerKernelCall(RewritePattern):
    """A call on core 0 -> the buffers' addresses in a0.. and `call`."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: KernelCallOp, rewriter: PatternRewriter) -> None:
        new = [AsmOp(f"la a{i}, {symbol_address(sym, off)}") for i, (sym, off) in enumerate(op.addresses())]
        rewriter.replace(op, [*new, AsmOp(f"call {op.kernel.string_value()}")], [])


CYCLES_LO = CLUSTER.reg("CYCLES_LO")
EOC = CLUSTER.reg("EOC")


class LowerCycleStamp(RewritePattern):
    """The cycle counter's low word stored into the profile table, through
    t0 and t1 (nothing stays live in them across the entry's calls: kernels
    and the runtime follow the C ABI)."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: CycleStampOp, rewriter: PatternRewriter) -> None:
        at = 8 * op.slot.value.data + 4 * op.word.value.data
        rewriter.replace(op, [
            AsmOp(f"li t0, {CYCLES_LO:#x}"),
            AsmOp("lw t1, 0(t0)"),
            AsmOp(f"la t0, {PROFILE_TABLE}+{at}"),  # any table size
            AsmOp("sw t1, 0(t0)"),
        ], [])


class LowerCheckLabels(RewritePattern):
    """A label check -> a loop over the labels, one unsigned compare each (a
    few cycles per row); the first label out of range fills the error record,
    writes the exit code to EOC and stops the core."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: CheckLabelsOp, rewriter: PatternRewriter) -> None:
        n = op.index.value.data
        addr = symbol_address(op.labels.string_value(), op.offset.value.data)
        loop, bad, done = f".Ltdopt_labels{n}", f".Ltdopt_labels{n}_bad", f".Ltdopt_labels{n}_ok"
        lines = [
            f"la t0, {addr}", f"li t1, {op.rows.value.data}", f"li t2, {op.classes.value.data}",
            f"{loop}:", "lw t3, 0(t0)", f"bgeu t3, t2, {bad}",
            "addi t0, t0, 4", "addi t1, t1, -1", f"bnez t1, {loop}", f"j {done}",
            f"{bad}:", f"la t1, {LABEL_ERROR}", "sw t0, 0(t1)", "sw t3, 4(t1)", "sw t2, 8(t1)",
            f"li t0, {EOC:#x}", f"li t1, {LABEL_EXIT_CODE:#x}",
            "sw t1, 0(t0)", f"{bad}_stop: j {bad}_stop",
            f"{done}:",
        ]
        rewriter.replace(op, [AsmOp(line) for line in lines], [])


class LowerEntryReturn(RewritePattern):
    """The entry's end: its 16-byte stack frame laid around the body (`ra`
    saved at 12(sp) first, restored last: the entry calls the kernels and
    the runtime), then 0 returned to crt0. As opaque `rvx.asm` lines, as
    the entry's other instructions: they work on fixed registers (sp, ra,
    a0-a7) across calls, which SSA folding must not merge or move."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: EntryReturnOp, rewriter: PatternRewriter) -> None:
        block = op.parent_block()
        assert block is not None
        rewriter.insert([AsmOp("addi sp, sp, -16"), AsmOp("sw ra, 12(sp)")], InsertPoint.at_start(block))
        rewriter.replace(op, [
            AsmOp("lw ra, 12(sp)"), AsmOp("addi sp, sp, 16"), AsmOp("li a0, 0"), riscv_func.ReturnOp(),
        ], [])


@dataclass(frozen=True)
class ConvertClusterToRiscvPass(ModulePass):
    """cluster.core_id / cluster.num_cores -> the mhartid CSR read and the
    load of the NUM_CORES register; cluster.fork / cluster.run_tiled -> the
    calls of tdrt_parallel / tdrt_tiled, their data blocks -> words;
    cluster.call, cluster.cycle_stamp, cluster.check_labels and
    cluster.return -> the entry's instructions and stack frame."""

    name = "convert-cluster-to-riscv"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        PatternRewriteWalker(
            GreedyRewritePatternApplier(
                [LowerCoreId(), LowerNumCores(), LowerDataBlock(), LowerRuntimeCall(), LowerKernelCall(),
                 LowerCycleStamp(), LowerCheckLabels(), LowerEntryReturn()]
            ),
            apply_recursively=False,
        ).rewrite_module(op)
