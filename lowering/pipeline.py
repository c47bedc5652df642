"""The standard pass pipelines from a training step in the train dialect down
to RISC-V assembly, as `-p` strings (so every stage stays inspectable with
`tdopt -p`), and the in-process compile used by `tdrun --rtl`."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import PassPipeline

from xdsl.dialects import func
from xdsl.ir import Operation

from tdopt.lowering import xdsl_fixes
from tdopt.lowering.kernel_workers import FIRST_KERNEL_LOCAL, WorkerRun, apply_pipeline
from tdopt.dialects.cluster import KERNEL, role_of, tensor_of, verify_cluster_attributes
from tdopt.target import CLUSTER


# train (tensors) -> globals, planned buffers and linalg kernels on memrefs
# (linalg-generalize-named-ops: the products convert-train-to-linalg writes
# as linalg.matmul become generics, the form the kernel passes rewrite)
# (train-fuse-weight-update: a weight gradient and its SGD update as one
# in-place accumulation, so the gradient is never written to memory)
# (kernel-fuse-add: R = P + Q with Q a matmul's or convolution's result as
# that product accumulated into P; kernel-fuse-producer: a kernel whose
# output one later kernel alone reads computed inside that kernel;
# kernel-fuse-consumer: an elementwise kernel reading another's output element
# for element computed as that kernel's second output; kernel-fuse-fill: a
# fill and the
# reduction accumulating into its buffer
# next as one kernel starting from the fill's value, once placement and
# tiling are known)
TO_LINALG = (
    "train-schedule-updates,train-fuse-weight-update,convert-train-to-linalg,"
    "linalg-generalize-named-ops,kernel-fuse-add,"
    "kernel-fuse-producer,kernel-fuse-consumer,plan-memory,kernel-fuse-fill"
)

# program level -> riscv: data sections, the entry's call sequence, kernels
# through loops and xDSL's riscv backend (with tdopt's math expansion, extra
# arith lowerings and fmadd.s fusion)
TO_RISCV_PASSES = (
    [
        # structurally identical kernels (repeated layers) lowered once
        "kernel-dedup",
        "convert-globals-to-sections",
        # kernels with a parallel loop run sliced on every core (fork/join)
        "cluster-mark-parallel",
        "convert-entry-to-riscv",
        # unit dimensions out of the maps (register blocking takes plain
        # outputs only), the longest reduction loop innermost
        "kernel-squeeze-unit-dims",
        "kernel-reorder-reductions",
        # reductions accumulate in registers (iter_args) through xDSL's
        # memref_stream level; what it does not take goes the plain way
        "convert-reductions-to-memref-stream",
        "memref-stream-infer-fill",
        "memref-stream-unnest-out-parameters",
        "memref-stream-fold-fill",
        # register blocking: several independent accumulators per contraction
        # (hides the FPU latency on the accumulator chain)
        "interleave-contractions{pipeline_depth=16}",
        "convert-memref-stream-to-loops",
        # the copies of a blocked body at constant offsets from each other
        "affine-fold-constants",
        "convert-linalg-to-loops",
        # a product's elementwise epilogue at each final store of its output
        "convert-cluster-epilogue",
        # the blocked body's copies repeat their index maps: one
        # affine.apply each before lower-affine expands them into arith
        # (4% of a MobileNetV1 step's lowering time)
        "cse",
        "lower-affine",
        "cluster-parallelize",
        # the copies of a blocked body load each value once, and share their
        # index arithmetic, before the loop is unrolled (a 6x4 block: 10
        # loads, not 48, copied 4 times)
        "cse",
        # fewer pointer steps per element (no post-increment FP loads);
        # loops with a constant trip count only marked, unrolled by
        # riscv-scf-unroll once their addresses are pointers
        "kernel-unroll-innermost{defer=true}",
        # math as arith code, before licm so that its constants leave the
        # loops (as many as the float registers hold: the allocator
        # recomputes the rest in the loop, riscv-allocate-registers-full)
        "expand-math-rv32f",
        # constants of a body (the 1/N of a mean, a polynomial's
        # coefficients) out of the loops, here where they are still arith
        # (xDSL's licm does not move riscv ops)
        "licm",
        # the unrolled copies' repeated index arithmetic folded and shared,
        # and one-trip loops inlined, before each op becomes several riscv
        # ops and casts (a fifth of the lowering time of a large step)
        "canonicalize",
        "cse",
        "convert-func-to-riscv-func",
        # cluster.core_id/num_cores (the slices of cluster-parallelize) as
        # the mhartid read and the NUM_CORES load, first in the riscv level
        "convert-cluster-to-riscv",
        "convert-tier-dma-to-riscv",
        # reshapes (collapse/expand_shape, reinterpret_cast) as their source's address
        "convert-memref-views-to-riscv",
        "convert-memref-to-riscv",
        "convert-arith-extra-to-riscv",
        "convert-arith-to-riscv",
        "convert-scf-to-riscv-scf",
        "reconcile-unrealized-casts",
        "canonicalize",
        "cse",
        "licm",
        # addresses as loop-carried pointers advanced by constant strides
        "riscv-scf-strength-reduce",
        "riscv-scf-loop-range-folding",
        "canonicalize",
        "cse",
        "riscv-fuse-fmadd",
        "riscv-scf-unroll",
        "riscv-allocate-registers-full",
        "riscv-save-callee-saved",
        # labels numbered per function: kernels lowered apart (-j) agree
        "convert-riscv-scf-to-riscv-cf-per-function",
        "riscv-lower-parallel-mov",
        "canonicalize",
    ]
)

STRENGTH_REDUCE = "riscv-scf-strength-reduce"
ALLOCATION = "riscv-allocate-registers-full"


def _quoted(passes: list[str] | tuple[str, ...]) -> str:
    """`passes` as the value of a tuple-of-strings pass option."""
    return ",".join('"' + p.replace("\\", "\\\\").replace('"', '\\"') + '"' for p in passes)


def reduce_then(passes: list[str]) -> list[str]:
    """`passes` with the passes between strength reduction and register
    allocation given to riscv-scf-strength-reduce as its `then`: it tries
    its candidates through them and keeps the one that allocates, so they
    do not run a second time, allocated as register allocation would
    (`allocate`: riscv-allocate-registers-full then finds it allocated)."""
    if STRENGTH_REDUCE not in passes:
        return passes
    first, last = passes.index(STRENGTH_REDUCE), passes.index(ALLOCATION)
    then = _quoted(passes[first + 1:last])
    return [*passes[:first], f"{STRENGTH_REDUCE}{{allocate=true then={then}}}", *passes[last:]]


def until_allocation(passes: list[str]) -> tuple[str, ...]:
    """The passes between register blocking and register allocation, which
    interleave-contractions runs on a copy of a kernel to try a blocking."""
    passes = reduce_then(passes)
    first = next(i for i, p in enumerate(passes) if p.startswith("interleave-contractions")) + 1
    return tuple(passes[first:passes.index(ALLOCATION)])


def _with_trials(passes: list[str]) -> str:
    """`passes` as a -p string, interleave-contractions told the passes
    that follow it up to register allocation, strength reduction those that
    follow it (`reduce_then`)."""
    quoted = _quoted(until_allocation(passes))
    return ",".join(
        p[:-1] + f" until_allocation={quoted}}}" if p.startswith("interleave-contractions{") else p
        for p in reduce_then(passes)
    )


TO_RISCV = _with_trials(TO_RISCV_PASSES)
UNTIL_ALLOCATION = until_allocation(TO_RISCV_PASSES)

TO_ASM = f"{TO_LINALG},{TO_RISCV}"

def to_linalg(tile_l1: int | None = None, cores: int = CLUSTER.cores, l2: int = CLUSTER.l2_size) -> str:
    """TO_LINALG for an L2 of `l2` bytes; with `tile_l1` (the L1 size in
    bytes), at most half of the tile budget holds tensors in place (the
    activation arena and the smallest tensors, by plan-memory), the least
    used tensors move to L3 when L2 is too small, and every kernel with an
    operand outside L1 runs tile by tile through the rest (`tier-tile-l1`),
    keeping a loop of `cores` iterations per tile where it can."""
    if tile_l1 is None and l2 == CLUSTER.l2_size:
        return TO_LINALG
    options = [f"capacity={CLUSTER.tensor_l2(l2)}"]
    if tile_l1 is not None:
        # what does not fit L2 goes to L3: tiled kernels reach it by DMA
        options += [f"l1_budget={CLUSTER.tile_budget(tile_l1) // 2}", "spill_l3=true"]
    steps = [
        "train-schedule-updates",
        "train-fuse-weight-update",
        "convert-train-to-linalg",
        "linalg-generalize-named-ops",
        "kernel-fuse-add",
        "kernel-fuse-producer",
        "kernel-fuse-consumer",
    ]
    if tile_l1 is not None:
        # elementwise consumers of a product next to it, to run on its tiles
        steps.append("kernel-schedule-epilogues")
    steps += [
        "plan-memory{" + " ".join(options) + "}",
    ]
    if tile_l1 is not None:
        steps.append(f"tier-tile-l1{{budget={CLUSTER.tile_budget(tile_l1)} cores={cores}}}")
    steps.append("kernel-fuse-fill")
    if tile_l1 is not None:
        steps.append("kernel-fold-epilogue")
        # the next call's first tiles copied in during each call's last
        steps.append(f"tier-prefetch-first-tiles{{budget={CLUSTER.tile_budget(tile_l1)}}}")
    return ",".join(steps)


CLUSTER_PASSES = ("cluster-mark-parallel", "cluster-parallelize")


def to_riscv(parallel: bool = True, profile: bool = False, poison: bool = False) -> str:
    """TO_RISCV, or without the cluster passes: every kernel on core 0.
    `profile`: the entry reads the cycle counter around every kernel call.
    `poison`: scratch memory starts as signalling NaNs (see
    convert-globals-to-sections)."""
    passes = [p for p in TO_RISCV_PASSES if parallel or p not in CLUSTER_PASSES]
    if profile:
        passes = [f"{p}{{profile=true}}" if p == ENTRY_PASS else p for p in passes]
    if poison:
        passes = [f"{p}{{poison=true}}" if p == SECTIONS_PASS else p for p in passes]
    return _with_trials(passes)


SECTIONS_PASS = "convert-globals-to-sections"


# The levels of the pipeline, each with the pass that starts it (None: the
# input). `tdopt` verifies the IR where a level ends, i.e. before the pass
# that starts the next one, and after the last pass (`--verify-each`: after
# every pass): checking the whole module after each of ~45 passes was most of
# the compile time of a large step.
LEVELS: tuple[tuple[str, str | None], ...] = (
    ("train", None),
    ("linalg", "convert-train-to-linalg"),
    ("loops", SECTIONS_PASS),
    ("riscv", "convert-func-to-riscv-func"),
)
LEVEL_STARTS = {start: level for level, start in LEVELS if start is not None}


ENTRY_PASS = "convert-entry-to-riscv"


@dataclass
class SymbolInfo:
    """A tensor of the compiled program: its assembler symbol and role."""

    symbol: str
    tensor: str
    role: str
    shape: tuple[int, ...]
    dtype: str


def program_symbols(module: ModuleOp) -> list[SymbolInfo]:
    """The inputs, parameters and outputs of a module at the linalg level."""
    from xdsl.dialects import memref
    from xdsl.dialects.builtin import MemRefType

    out = []
    for op in module.ops:
        if isinstance(op, memref.GlobalOp):
            role, tensor = role_of(op), tensor_of(op)
            t = op.type
            if role is not None and tensor is not None:
                assert isinstance(t, MemRefType)
                dtype = "int32" if "i32" in str(t.element_type) else "float32"
                out.append(
                    SymbolInfo(op.sym_name.data, tensor, role.value, tuple(t.get_shape()), dtype)
                )
    return out


# the passes of TO_RISCV that work on one function at a time (see
# lowering/kernel_workers.py): with -j N they run in N processes
_TO_RISCV_NAMES = [p.split("{", 1)[0] for p in TO_RISCV_PASSES]
KERNEL_LOCAL = frozenset(_TO_RISCV_NAMES[_TO_RISCV_NAMES.index(FIRST_KERNEL_LOCAL):])


def is_kernel(op: Operation) -> bool:
    """A kernel function (not the program's entry)."""
    return isinstance(op, func.FuncOp) and KERNEL in op.attributes


def run_pipeline(ctx, module: ModuleOp, spec: str, jobs: int = 1) -> WorkerRun:
    """Apply the `-p` pipeline `spec`; its per-function tail in `jobs`
    processes (then the module's kernels come back as assembly)."""
    from xdsl.universe import Universe

    xdsl_fixes.apply()  # the driver's duty (idempotent), not an import's
    passes = Universe.get_multiverse().all_passes
    pipeline = PassPipeline.parse_spec(passes, spec)
    return apply_pipeline(ctx, module, pipeline.passes, jobs, KERNEL_LOCAL, is_kernel)


def compile_to_asm(
    ctx,
    module: ModuleOp,
    parallel: bool = True,
    tile_l1: int | None = None,
    l2: int = CLUSTER.l2_size,
    profile: bool = False,
    at_linalg: Callable[[ModuleOp], None] | None = None,
    poison: bool = False,
    jobs: int = 1,
) -> tuple[str, list[SymbolInfo]]:
    """Compile a train module (in place) to assembly text; returns it with the
    program's tensor symbols. `parallel`: kernels split over the active
    cores (read at run time), else all on core 0. `tile_l1`, `l2`: see
    `to_linalg`; `profile`, `poison`: see `to_riscv`. `at_linalg` sees the module
    between the two levels. `jobs`: processes lowering the kernels (the
    text is the same for any number)."""
    from xdsl.dialects.riscv import print_assembly

    run_pipeline(ctx, module, to_linalg(tile_l1, l2=l2))
    # the kernels must be valid linalg (as `tdopt` checks after every pass):
    # an invalid loop nest can still assemble and compute out of bounds
    module.verify()
    for op in module.walk():
        verify_cluster_attributes(op)
    symbols = program_symbols(module)
    if at_linalg is not None:
        at_linalg(module)
    run_pipeline(ctx, module, to_riscv(parallel, profile, poison), jobs)
    stream = io.StringIO()
    print_assembly(module, stream)
    return stream.getvalue(), symbols
