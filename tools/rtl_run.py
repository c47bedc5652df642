"""Compile a train module and run it on the cluster RTL: the `tdrun --rtl`
path. Inputs are written into the program's input symbols, results read back
from its output symbols, named and shaped like the reference interpreter's."""

from __future__ import annotations

import functools
import hashlib
import io
import os
import pickle
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp, TensorType
from xdsl.dialects.linalg.ops import GenericOp

from tdopt.analyses.contractions import multiply_accumulates
from tdopt.dialects.cluster import ENTRY, LABEL_ERROR, LABEL_EXIT_CODE, PROFILE_TABLE, kernel_kind
from tdopt.interpreter.reference import find_function, function_inputs, result_names
from tdopt.lowering.pipeline import compile_to_asm


@dataclass
class CallProfile:
    """One kernel call or tiled call of the entry function, as profiled on
    the RTL (`run_on_rtl(..., profile=True)`)."""

    callee: str  # the kernel function, e.g. k_matmul_0_1_t32x32x64
    kind: str  # its op kind (`cluster.kernel`), e.g. matmul
    tiled: bool  # a tier.tiled_call (tile by tile through L1)
    tiles: int  # kernel invocations (1 for a plain call)
    flops: int  # 2 x MACs of its multiply-accumulate reductions (0 for other kernels)
    dma_in: int  # bytes copied home -> L1 (tiles x tile bytes of every "in" operand)
    dma_out: int  # bytes copied L1 -> home
    cycles: int = 0  # from the cycle counter before the call to after it

    @property
    def dma_bytes(self) -> int:
        return self.dma_in + self.dma_out

    @property
    def flop_per_cycle(self) -> float:
        return self.flops / max(1, self.cycles)


@dataclass
class RtlResult:
    results: dict[str, np.ndarray]
    counters: dict[str, int]
    output: str
    asm_path: str
    elf_path: str
    flops: int  # 2 x MACs of every conv / matmul / gemm (forward and backward)
    profile: list[CallProfile] | None = None  # per call, in order (profile=True)
    estimate: int = 0  # the static estimate of the cycles (tools/cycle_estimate.py)

    @property
    def flop_per_cycle(self) -> float:
        return self.flops / max(1, self.counters.get("cycles", 0))


# kernel kinds (`cluster.kernel`) whose multiply-accumulates count as FLOPs: the
# design's convention (conv / matmul / gemm, forward and backward), the same
# ops as train_stats.flops; a weight gradient fused with its update
# (train-fuse-weight-update) is the gemm it was
CONTRACTIONS = frozenset(
    {"conv2d", "grad_conv2d_input", "grad_conv2d_weight", "matmul", "gemm", "gemm_accumulate"}
)


def entry_calls(module: ModuleOp) -> list[CallProfile]:
    """The kernel calls and tiled calls of the entry function(s) at the
    linalg level, in the order `convert-entry-to-riscv{profile=true}`
    numbers them: callee, op kind, FLOPs and DMA bytes (the tiles as the
    driver moves them, and its copy of the descriptor; cycles 0)."""
    from xdsl.dialects import func

    from tdopt.dialects.tier import TiledCallOp

    kernels = {op.sym_name.data: op for op in module.ops if isinstance(op, func.FuncOp)}
    calls: list[CallProfile] = []
    for f in list(kernels.values()):
        if ENTRY not in f.attributes:
            continue
        for op in f.body.block.ops:
            if not isinstance(op, (func.CallOp, TiledCallOp)):
                continue
            callee = op.callee.string_value()
            k = kernels[callee]
            kind_name = kernel_kind(k) or callee
            per_tile = 0
            if kind_name in CONTRACTIONS:
                per_tile = sum(2 * multiply_accumulates(g) for g in k.walk() if isinstance(g, GenericOp))
            if isinstance(op, TiledCallOp):
                tiles = int(np.prod(op.grid_values()))
                dma_in, dma_out = op.dma_bytes()
                # the driver also copies the call's descriptor into L1
                dma_in += op.descriptor_bytes()
            else:
                tiles, dma_in, dma_out = 1, 0, 0
            calls.append(
                CallProfile(
                    callee, kind_name,
                    isinstance(op, TiledCallOp), tiles, per_tile * tiles, dma_in, dma_out,
                )
            )
    return calls


@functools.lru_cache(maxsize=1)
def compiler_digest() -> str:
    """A hash of the compiler's sources (every .py, .S, .h, .ld and .sv of
    the package but its tests): a compiled program is reused only by the
    same compiler."""
    root = Path(__file__).resolve().parents[1]
    # the package's own folders only: never the virtualenv or git's files
    tops = [p for p in root.iterdir() if p.name not in ("test", "examples", ".venv", ".git")]
    paths = [p for top in tops for p in ([top] if top.is_file() else top.rglob("*"))]
    h = hashlib.sha256()
    for path in sorted(paths):
        rel = path.relative_to(root)
        if (path.suffix in (".py", ".S", ".h", ".ld", ".sv", ".v") and path.is_file()
                and "__pycache__" not in rel.parts):
            h.update(str(rel).encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def program_cache_key(module: ModuleOp, *options: object) -> str:
    """The content key of a compiled program: the module's text, the
    options it is compiled with, the compiler's sources."""
    from xdsl.printer import Printer

    text = io.StringIO()
    Printer(stream=text, print_generic_format=True).print_op(module)
    h = hashlib.sha256(text.getvalue().encode())
    h.update(repr(options).encode())
    h.update(compiler_digest().encode())
    return h.hexdigest()


def cached_program(key: str, compile_program: Callable[[], tuple]) -> tuple:
    """`compile_program()`'s result, from the program cache
    ($TDOPT_CACHE/programs, next to the Verilator models) when an earlier
    compile with the same key left it there; written atomically, so
    processes sharing the folder never read half a file."""
    from tdopt.runtime.model import cache_dir

    path = cache_dir() / "programs" / f"{key}.pickle"
    try:
        with open(path, "rb") as f:
            return pickle.load(f)
    except (OSError, EOFError, pickle.UnpicklingError):
        pass
    result = compile_program()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "wb") as f:
        pickle.dump(result, f)
    os.replace(tmp, path)
    return result


def run_on_rtl(
    ctx: Context,
    module: ModuleOp,
    inputs: Mapping[str, np.ndarray],
    cores: int = 1,
    l1: int | str = "128k",
    max_cycles: int | None = None,
    workdir: str | None = None,
    parallel: bool | None = None,
    tile_l1: bool = False,
    profile: bool = False,
    l2: int | str = "2m",
    poison: bool = True,
    progress: str | None = None,
    jobs: int = 1,
    cache: bool = False,
    check_labels: bool = True,
) -> RtlResult:
    """`tile_l1`: keep the tensors in L2 and run every kernel tile by tile
    through the L1 (`l1` bytes) with double-buffered DMA. `l2`: the L2 the
    program may use (tensors beyond it spill to L3). `profile`: read
    the cycle counter around every kernel call of the entry and return, per
    call, its cycles, FLOPs and DMA bytes in `RtlResult.profile`.
    `poison`: scratch memory (arenas, tile buffers) starts as signalling
    NaNs, so results computed from never-written scratch come out NaN
    (on by default: a correct program never reads them).
    `max_cycles`: None derives the limit from the static estimate of the
    program's cycles (tools/cycle_estimate.py) with a wide margin.
    `progress`: a label; with it, a progress bar (cycles simulated, rate,
    ETA against the estimate) on stderr when stderr is a terminal.
    `jobs`: processes lowering the kernels (`tdopt -j`; same program).
    `cache`: reuse the program compiled earlier from the same module and
    options by the same compiler sources (`program_cache_key`), e.g. by
    another point of a sweep or another worker on a shared cache folder.
    `check_labels`: class labels out of range are refused here, before
    compiling; False leaves them to the program's own check on the cluster
    (`LABEL_KERNELS`), which ends the run: a ClusterError of kind "label".
    A program that ends with another non-zero exit code is a ClusterError
    of kind "exit"."""
    from tdopt.runtime.cluster import run_elf
    from tdopt.runtime.toolchain import assemble_and_link

    f = find_function(module)
    function_inputs(f, inputs, labels=check_labels)  # missing inputs, wrong shapes fail here
    shapes: dict[str, tuple[int, ...]] = {}
    for name, t in zip(result_names(f), f.function_type.outputs.data):
        assert isinstance(t, TensorType)
        shapes[name] = tuple(t.get_shape())

    from tdopt.passes.train_stats import flops as op_flops

    total_flops = sum(op_flops(op) for op in f.walk())
    # with more than one core, kernels with a parallel loop are split over
    # the active cores; one core keeps the plain single-core program
    parallel = cores > 1 if parallel is None else parallel
    from tdopt.runtime.cluster import parse_size

    tile_bytes = parse_size(l1) if tile_l1 else None
    calls: list[CallProfile] = []
    estimate = 0

    def at_linalg(m: ModuleOp) -> None:
        nonlocal estimate
        from tdopt.tools.cycle_estimate import estimate_cycles

        estimate = estimate_cycles(m, cores if parallel else 1)
        if profile:
            calls.extend(entry_calls(m))

    def compile_program() -> tuple[str, list, int, list[CallProfile], dict[str, str]]:
        asm, symbols = compile_to_asm(
            ctx, module, parallel=parallel, tile_l1=tile_bytes, l2=parse_size(l2),
            profile=profile, at_linalg=at_linalg, poison=poison, jobs=jobs,
        )
        # the module's statistics (memory plan bytes...), which callers read
        attributes = {k: str(v) for k, v in module.attributes.items()}
        return asm, symbols, estimate, calls, attributes

    if cache:
        from xdsl.parser import Parser

        key = program_cache_key(module, parallel, tile_bytes, parse_size(l2), profile, poison, cores)
        asm, symbols, estimate, cached_calls, attributes = cached_program(key, compile_program)
        calls[:] = cached_calls
        for k, text in attributes.items():
            module.attributes[k] = Parser(ctx, text).parse_attribute()
    else:
        asm, symbols, estimate, _, _ = compile_program()
    work = workdir or tempfile.mkdtemp(prefix="tdrun-rtl-")
    asm_path = os.path.join(work, "step.s")
    with open(asm_path, "w") as fh:
        fh.write(asm)
    elf = assemble_and_link([asm_path], os.path.join(work, "step.elf"))

    writes: dict[str, np.ndarray] = {}
    reads: list[tuple[str, str]] = []
    for s in symbols:
        if s.role == "input":
            writes[s.symbol] = np.ascontiguousarray(np.asarray(inputs[s.tensor]).astype(s.dtype))
        elif s.role == "output":
            reads.append((s.symbol, s.tensor))
    label_record = [LABEL_ERROR] if f"{LABEL_ERROR}:" in asm else []
    from tdopt.runtime.cluster import DEFAULT_MAX_CYCLES, ClusterError
    from tdopt.tools.cycle_estimate import LIMIT_FACTOR, LIMIT_MARGIN, default_max_cycles

    limit = max_cycles if max_cycles is not None else default_max_cycles(estimate, DEFAULT_MAX_CYCLES)
    bar = _progress_bar(progress, estimate) if progress is not None else None
    try:
        run = run_elf(
            elf,
            cores=cores,
            l1_size=l1,
            max_cycles=limit,
            read_symbols=[sym for sym, _ in reads] + ([PROFILE_TABLE] if calls else []) + label_record,
            write_symbols=writes,
            progress=(lambda n: bar.update(n - bar.n)) if bar is not None else None,
        )
    except ClusterError as e:
        if e.kind == "timeout" and max_cycles is None:
            e.args = (
                f"no end of computation after {limit} cycles, the default limit (the larger "
                f"of {DEFAULT_MAX_CYCLES} and {LIMIT_FACTOR} x the static estimate of "
                f"{estimate} cycles + {LIMIT_MARGIN}): --max-cycles N raises it",
            )
        raise
    finally:
        if bar is not None:
            bar.close()
    if run.exit_code != 0:
        raise _exit_error(run, str(elf), symbols)
    results = {}
    for sym, tensor in reads:
        values = np.frombuffer(run.symbols[sym], dtype=np.float32)
        results[tensor] = values.reshape(shapes.get(tensor, values.shape)).copy()
    if calls:
        stamps = np.frombuffer(run.symbols[PROFILE_TABLE], dtype="<u4").reshape(-1, 2)
        assert len(stamps) == len(calls), "profile table and entry calls differ"
        for c, (before, after) in zip(calls, stamps):
            c.cycles = int((int(after) - int(before)) % (1 << 32))  # low 32 bits wrap
    return RtlResult(
        results, run.counters, run.output, asm_path, str(elf), total_flops,
        calls if profile else None, estimate,
    )


def _progress_bar(label: str, estimate: int):  # -> tqdm | None
    """A tqdm bar of simulated cycles on stderr against the static estimate
    (its ETA), or None when stderr is not a terminal (tqdm's `disable=None`):
    then the simulator sends no heartbeats at all."""
    import sys

    from tqdm import tqdm

    bar = tqdm(
        total=estimate or None, desc=label, unit="cycle", unit_scale=True, file=sys.stderr,
        disable=None, leave=False, dynamic_ncols=True, smoothing=0.1,
    )
    if bar.disable:
        return None
    return bar


def _exit_error(run, elf: str, symbols) -> Exception:  # -> ClusterError
    """The error of a program that ended with a non-zero exit code: for
    the label check (`LABEL_EXIT_CODE`), which label of which tensor, from
    the record the check left (address, value, class count)."""
    from tdopt.runtime.cluster import ClusterError
    from tdopt.runtime.elf_image import read_elf

    cycles = run.counters.get("cycles")
    if run.exit_code != LABEL_EXIT_CODE or LABEL_ERROR not in run.symbols:
        return ClusterError(
            f"the program ended with exit code {run.exit_code} after {cycles} cycles",
            kind="exit", cycle=cycles, output=run.output, counters=run.counters,
        )
    addr, value, classes = (int(w) for w in np.frombuffer(run.symbols[LABEL_ERROR], dtype="<u4")[:3])
    value = value - (1 << 32) if value >= 1 << 31 else value  # the label as int32
    tensors = {s.symbol: s.tensor for s in symbols}
    where = f"the label at address {addr:#x}"
    for name, sym in read_elf(elf).symbols.items():
        if name in tensors and sym.addr <= addr < sym.addr + max(sym.size, 1):
            where = f"label {value} in row {(addr - sym.addr) // 4} of '{tensors[name]}'"
            break
    else:
        where = f"label {value} ({where}, an intermediate tensor)"
    return ClusterError(
        f"the cluster stopped the step at cycle {cycles}: {where} is not a class of the "
        f"cross-entropy (its logits have {classes} classes: 0 to {classes - 1})",
        kind="label", cycle=cycles, output=run.output, counters=run.counters,
    )
