"""`convert-entry-to-riscv`: each entry function (the sequence of kernel
calls) becomes a `riscv_func.func` of `cluster` ops, each buffer named by
its home (a global, or the arena plus the planned offset), ending with
`cluster.return` (0 to the runtime's crt0; `convert-cluster-to-riscv` lays
the entry's stack frame). A `main` for crt0 names the entry. Kernels
marked `cluster.parallel` (by `cluster-mark-parallel`) run on every active
core: the entry forks them (`cluster.fork @args`, the runtime's
`tdrt_parallel(tdrt_call_block, args)`), where `args` is a per-call
`cluster.fork_args` block in `.rodata` (kernel address, then its buffer
addresses) and the runtime's `tdrt_call_block` loads a0..a7 from it and
jumps to the kernel; the join of each fork is the barrier between kernels.
A tiled call is `cluster.run_tiled @desc` with a `cluster.tiled_descriptor`
in `.rodata`. Unmarked kernels are called on core 0 alone (`cluster.call`).
Before the first kernel call that reads a buffer of class labels (the
cross-entropy kernels, `LABEL_KERNELS`), `cluster.check_labels` has core 0
check every label against the class count; with `profile`,
`cluster.cycle_stamp`s bracket every call. `convert-cluster-to-riscv`
lowers these ops and writes the data blocks.

Kernels are leaf functions and go through xDSL's own riscv lowering.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import func, memref, riscv, riscv_func
from xdsl.dialects.builtin import (
    ArrayAttr,
    DenseArrayBase,
    IntegerAttr,
    MemRefType,
    ModuleOp,
    StringAttr,
    SymbolRefAttr,
    UnitAttr,
    i64,
)
from xdsl.ir import Attribute, Block, Operation, Region, SSAValue
from xdsl.passes import ModulePass
from xdsl.utils.exceptions import DiagnosticException

from tdopt.analyses.views import VIEW_OPS
from tdopt.dialects.cluster import (
    ENTRY,
    LABEL_ERROR,
    PARALLEL,
    PROFILE_TABLE,
    CheckLabelsOp,
    CycleStampOp,
    ForkArgsOp,
    ForkOp,
    KernelCallOp,
    ReturnOp as ClusterReturnOp,
    RunTiledOp,
    TiledDescriptorOp,
    arena_of,
    kernel_kind,
    offset_of,
)
from tdopt.dialects.rvx import symbol_address
from tdopt.dialects.tier import RESIDENT, TiledCallOp
from tdopt.target import CLUSTER

ARG_REGS = CLUSTER.arg_regs  # a0..a7


def _profile_stamp(slot: int, word: int) -> list[Operation]:
    """The cycle counter into word `word` (0: before, 1: after) of call
    `slot` of the profile table."""
    return [CycleStampOp.build(properties={"slot": IntegerAttr(slot, i64), "word": IntegerAttr(word, i64)})]


def _add_profile_table(module: ModuleOp, calls: int) -> None:
    """`__tdopt_profile` in .bss (L2): two words per profiled call, the cycle
    counter (low 32 bits) before and after it."""
    bss = riscv.AssemblySectionOp('.section .bss,"aw",@nobits')
    block = bss.data.block
    block.add_op(riscv.DirectiveOp(".globl", PROFILE_TABLE))
    block.add_op(riscv.DirectiveOp(".p2align", "2"))
    block.add_op(riscv.LabelOp(PROFILE_TABLE))
    block.add_op(riscv.DirectiveOp(".zero", str(8 * calls)))
    block.add_op(riscv.DirectiveOp(".size", f"{PROFILE_TABLE}, {8 * calls}"))
    module.body.block.add_op(bss)


def _entry_body(
    f: func.FuncOp,
    parallel: set[str],
    fork_blocks: list[ForkArgsOp | TiledDescriptorOp],
    profiled: list[str] | None = None,
    labels: LabelChecks | None = None,
) -> list[Operation]:
    """The entry function's calls as `cluster` ops: calls on core 0, forks of
    the kernels in `parallel` and tiled calls, their data blocks
    (`cluster.fork_args`, `cluster.tiled_descriptor`) appended to
    `fork_blocks`; then `cluster.return`. With `profiled` (a list), every
    kernel call and tiled call is bracketed by `cluster.cycle_stamp`s, at
    slot `len(profiled)`, and its callee appended."""
    out: list[Operation] = []
    # where each buffer value lives: (symbol, byte offset)
    location: dict[SSAValue, tuple[str, int]] = {}
    # the call before `op`, with only ops that name memory since
    last_call: func.CallOp | TiledCallOp | None = None
    for op in f.body.block.ops:
        slot = None
        if labels is not None and isinstance(op, (func.CallOp, TiledCallOp)):
            out += labels.before_call(op, location)
        if profiled is not None and isinstance(op, (func.CallOp, TiledCallOp)):
            slot = len(profiled)
            profiled.append(op.callee.string_value())
            out += _profile_stamp(slot, 0)
        if isinstance(op, memref.GetGlobalOp):
            location[op.memref] = (op.name_.string_value(), 0)
        elif isinstance(op, memref.AllocOp):
            off = offset_of(op)
            if off is None:
                raise DiagnosticException(
                    "convert-entry-to-riscv needs planned buffers: run plan-memory first"
                )
            location[op.memref] = (arena_of(op), off)
        elif isinstance(op, (*VIEW_OPS, memref.MemorySpaceCastOp)):
            # views of the same bytes
            location[op.results[0]] = location[op.operands[0]]
        elif isinstance(op, func.CallOp):
            if len(op.arguments) > ARG_REGS:
                raise DiagnosticException(
                    f"kernel @{op.callee.string_value()} takes {len(op.arguments)} "
                    f"buffers; at most {ARG_REGS} are passed in registers"
                )
            callee = op.callee.string_value()
            if callee in parallel:
                label = f"__tdopt_fork_args_{len(fork_blocks)}"
                fork_blocks.append(_fork_args(op, location, label))
                out.append(ForkOp(label))
            else:
                out.append(_kernel_call(op, location))
        elif isinstance(op, TiledCallOp):
            label = f"__tdopt_tiled_{len(fork_blocks)}"
            descriptor = _tiled_descriptor(op, location, parallel, label)
            if op.prefetched is not None:
                # the call before copies these first tiles in: its descriptor
                # names this one
                before = fork_blocks[-1] if fork_blocks else None
                if not isinstance(before, TiledDescriptorOp) or not isinstance(last_call, TiledCallOp):
                    raise DiagnosticException(
                        f"tier.tiled_call @{op.callee.string_value()} has prefetched operands "
                        "but no tiled call right before it to copy them in"
                    )
                before.properties["next"] = SymbolRefAttr(label)
                before.properties["prefetch"] = op.prefetched
                descriptor.properties["prefetched"] = op.prefetched
            fork_blocks.append(descriptor)
            out.append(RunTiledOp(label))
        elif isinstance(op, func.ReturnOp):
            break
        else:
            raise DiagnosticException(f"unexpected op in an entry function: {op.name}")
        if slot is not None:
            out += _profile_stamp(slot, 1)
        if isinstance(op, (func.CallOp, TiledCallOp)):  # the rest only name memory
            last_call = op
    out.append(ClusterReturnOp())
    return out


@dataclass(frozen=True)
class ConvertEntryToRiscvPass(ModulePass):
    """Entry functions (kernel-call sequences) -> riscv_func with fixed
    registers, plus `main` for the runtime. `profile`: bracket every kernel
    call and tiled call with reads of the cycle counter, stored in
    `__tdopt_profile` (.bss): words 2i and 2i+1 are the low 32 bits before
    and after the i-th call, in entry order (read back by `run_on_rtl`)."""

    name = "convert-entry-to-riscv"

    profile: bool = False

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        entries = [
            f for f in op.ops if isinstance(f, func.FuncOp) and ENTRY in f.attributes
        ]
        parallel = {
            k.sym_name.data
            for k in op.ops
            if isinstance(k, func.FuncOp) and PARALLEL in k.attributes
        }
        fork_blocks: list[ForkArgsOp | TiledDescriptorOp] = []
        profiled: list[str] | None = [] if self.profile else None
        labels = LabelChecks.of(op)
        for f in entries:
            name = "tdopt_" + f.sym_name.data
            labels.checked.clear()  # each entry checks its own labels
            body = _entry_body(f, parallel, fork_blocks, profiled, labels)
            rf = riscv_func.FuncOp(name, Region(Block(body)), ((), ()), "public", 2)
            rf.attributes[ENTRY] = f.attributes[ENTRY]
            op.body.block.insert_op_before(rf, f)
            f.detach()
            f.erase()
        if fork_blocks:
            _add_fork_support(op, fork_blocks)
        if profiled:
            _add_profile_table(op, len(profiled))
        if labels.count:
            _add_label_error_record(op)
        if len(entries) == 1:
            # `main` for crt0: the single entry under the runtime's name
            op.body.block.add_op(
                riscv.AssemblySectionOp(".text")
            )
            text = op.body.block.last_op
            assert isinstance(text, riscv.AssemblySectionOp)
            text.data.block.add_op(riscv.DirectiveOp(".globl", "main"))
            text.data.block.add_op(riscv.DirectiveOp(".set", f"main, tdopt_{entries[0].sym_name.data}"))


def _address(location: dict[SSAValue, tuple[str, int]], v: SSAValue) -> str:
    return symbol_address(*location[v])


def _homes(op: func.CallOp, location: dict[SSAValue, tuple[str, int]]) -> dict[str, Attribute]:
    """The kernel and its buffers' homes, as the cluster ops hold them."""
    homes = [location[a] for a in op.arguments]
    return {
        "kernel": op.callee,
        "homes": ArrayAttr([SymbolRefAttr(sym) for sym, _ in homes]),
        "home_offsets": DenseArrayBase.from_list(i64, [off for _, off in homes]),
    }


def _kernel_call(op: func.CallOp, location: dict[SSAValue, tuple[str, int]]) -> KernelCallOp:
    return KernelCallOp.build(properties=_homes(op, location))


def _fork_args(op: func.CallOp, location: dict[SSAValue, tuple[str, int]], label: str) -> ForkArgsOp:
    """The fork trampoline's block for the forked call `op`, as data."""
    return ForkArgsOp.create(properties={"sym_name": StringAttr(label), **_homes(op, location)})


def _tiled_descriptor(
    op: TiledCallOp, location: dict[SSAValue, tuple[str, int]], parallel: set[str], label: str
) -> TiledDescriptorOp:
    """The `struct tdrt_tiled_call` of `op` as a `cluster.tiled_descriptor`
    named `label` (convert-cluster-to-riscv writes its words)."""
    callee = op.callee.string_value()
    first = op.first_callee.string_value() if op.first_callee is not None else None
    homes, offsets, l1 = [], [], []
    for arg, mode, (buf0, buf1), home_offset in zip(
        op.args, op.operand_modes(), op.buffer_offsets(), op.home_offset_values()
    ):
        sym, off = location[arg]
        homes.append(SymbolRefAttr(sym))
        offsets.append(off + home_offset)
        l1 += [0, 0] if mode == RESIDENT else [buf0, buf1]  # resident: used in place
    properties: dict[str, Attribute] = {
        "sym_name": StringAttr(label),
        "kernel": SymbolRefAttr(callee),
        "first_dims": DenseArrayBase.from_list(i64, list(op.first_dim_values())),
        "grid": DenseArrayBase.from_list(i64, list(op.grid_values())),
        "modes": DenseArrayBase.from_list(i64, list(op.operand_modes())),
        "homes": ArrayAttr(homes),
        "home_offsets": DenseArrayBase.from_list(i64, offsets),
        "l1_offsets": DenseArrayBase.from_list(i64, l1),
        "steps": DenseArrayBase.from_list(i64, [v for steps in op.operand_steps() for v in steps]),
        "boxes": DenseArrayBase.from_list(i64, [v for box in op.operand_boxes() for v in box]),
    }
    if callee in parallel:
        properties["parallel"] = UnitAttr()
    if first is not None:
        properties["first_kernel"] = SymbolRefAttr(first)
        if first in parallel:
            properties["first_parallel"] = UnitAttr()
    if op.epilogue_callee is not None:
        epilogue = op.epilogue_callee.string_value()
        properties["epilogue"] = SymbolRefAttr(epilogue)
        properties["epilogue_dims"] = DenseArrayBase.from_list(i64, list(op.epilogue_dim_values()))
        if epilogue in parallel:
            properties["epilogue_parallel"] = UnitAttr()
    return TiledDescriptorOp.create(properties=properties)


def _add_fork_support(module: ModuleOp, fork_blocks: list[ForkArgsOp | TiledDescriptorOp]) -> None:
    """The forks' and tiled calls' blocks, in .rodata (the fork trampoline,
    FORK_TRAMPOLINE, is the runtime's)."""
    data = riscv.AssemblySectionOp('.section .rodata,"a",@progbits')
    for block in fork_blocks:
        data.data.block.add_op(block)
    module.body.block.add_op(data)


# -- the cluster's check of class labels (issue 14) ----------------------------

# kernels (`cluster.kernel`) that index the logits' rows by a label: an
# i32 [N] operand next to the f32 [N, C] logits or their gradient
LABEL_KERNELS = frozenset({"cross_entropy", "grad_cross_entropy"})


@dataclass
class LabelChecks:
    """Emits, before the first call of a label kernel on a labels buffer,
    a `cluster.check_labels` (core 0 checks each label against the class
    count). Buffers in L3 are skipped: a core cannot load from L3 (the
    host checks the labels of inputs before every run anyway)."""

    kinds: dict[str, str]  # kernel name -> its op kind
    l3: set[str]  # symbols in L3
    checked: set[str]
    count: int = 0

    @staticmethod
    def of(module: ModuleOp) -> LabelChecks:
        kinds = {}
        for k in module.ops:
            kind = kernel_kind(k) if isinstance(k, func.FuncOp) else None
            if isinstance(k, func.FuncOp) and kind is not None:
                kinds[k.sym_name.data] = kind
        return LabelChecks(kinds, _l3_symbols(module), set())

    def before_call(
        self, op: func.CallOp | TiledCallOp, location: dict[SSAValue, tuple[str, int]]
    ) -> list[Operation]:
        if self.kinds.get(op.callee.string_value()) not in LABEL_KERNELS:
            return []
        operands = list(op.arguments if isinstance(op, func.CallOp) else op.args)
        labels = [v for v in operands if isinstance(v.type, MemRefType)
                  and str(v.type.element_type) == "i32" and len(v.type.get_shape()) == 1]
        if len(labels) != 1:
            return []
        rows = labels[0].type.get_shape()[0]  # type: ignore[attr-defined]
        # the logits (or their gradient): the widest f32 [rows, C] operand;
        # the others are per-row values [rows, 1]
        widths = [s[1] for v in operands if isinstance(v.type, MemRefType)
                  and str(v.type.element_type) == "f32" and len(s := v.type.get_shape()) == 2
                  and s[0] == rows]
        if not widths:
            return []
        classes = max(widths)
        addr = _address(location, labels[0])
        if addr in self.checked or location[labels[0]][0] in self.l3 or rows < 1:
            return []
        self.checked.add(addr)
        n = self.count
        self.count += 1
        sym, offset = location[labels[0]]
        return [CheckLabelsOp.build(properties={
            "labels": SymbolRefAttr(sym), "offset": IntegerAttr(offset, i64),
            "rows": IntegerAttr(rows, i64), "classes": IntegerAttr(classes, i64), "index": IntegerAttr(n, i64),
        })]


def _l3_symbols(module: ModuleOp) -> set[str]:
    """The symbols that convert-globals-to-sections placed in `.l3`."""
    names: set[str] = set()
    for sec in module.ops:
        if isinstance(sec, riscv.AssemblySectionOp) and CLUSTER.section("L3") + "," in sec.directive.data:
            for o in sec.data.block.ops:
                if isinstance(o, riscv.LabelOp):
                    names.add(o.label.data)
                elif isinstance(o, riscv.DirectiveOp) and o.directive.data == ".set" and o.value:
                    names.add(o.value.data.split(",")[0].strip())
    return names


def _add_label_error_record(module: ModuleOp) -> None:
    bss = riscv.AssemblySectionOp('.section .bss,"aw",@nobits')
    block = bss.data.block
    block.add_op(riscv.DirectiveOp(".globl", LABEL_ERROR))
    block.add_op(riscv.DirectiveOp(".p2align", "2"))
    block.add_op(riscv.LabelOp(LABEL_ERROR))
    block.add_op(riscv.DirectiveOp(".zero", "12"))
    block.add_op(riscv.DirectiveOp(".size", f"{LABEL_ERROR}, 12"))
    module.body.block.add_op(bss)
