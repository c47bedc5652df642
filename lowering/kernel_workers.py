"""Kernel functions lowered in worker processes (`tdopt -j N`).

From `kernel-squeeze-unit-dims` on, every pass of the RISC-V pipeline works
on one function at a time: none reads another function, and loop labels are
numbered per function (`convert-riscv-scf-to-riscv-cf-per-function`). That
tail of the pipeline is where a large step spends most of its compile time,
so `apply_pipeline` runs it on the kernel functions in `jobs` processes
forked from this one (each inherits the module; nothing is re-parsed). A
worker lowers its share of the kernels, prints each to assembly and sends
the text back; this process lowers the rest (the entry, the data sections
and a share of the kernels) and puts each worker's function in its place as
an `rvx.assembled` op, which the riscv-asm target prints exactly as the
function would have printed. The program text is therefore identical to a
compile in one process (tested); the IR in between is not, so the driver
uses workers only when the result is printed as assembly.

Shares are balanced by operation count (largest first, to the least loaded
process); this process counts the non-kernel functions in its load.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import pickle
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from xdsl.backend.assembly_printer import AssemblyPrinter
from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation
from xdsl.passes import ModulePass

from tdopt.dialects.rvx import AssembledOp

# the first pass of the per-function tail of `TO_RISCV`
FIRST_KERNEL_LOCAL = "kernel-squeeze-unit-dims"

Callback = Callable[[ModulePass | None, ModuleOp, ModulePass | None], None]


def machine_cores() -> int:
    """The cores this process may run on (the default of `-j`)."""
    return len(os.sched_getaffinity(0))


def kernel_local_tail(passes: Sequence[ModulePass], local_names: frozenset[str]) -> int | None:
    """Where the per-function tail starts: the position of
    `FIRST_KERNEL_LOCAL` when every pass from there on is one of
    `local_names`; None when the pipeline has no such tail (e.g. a `-p`
    pipeline with passes of its own there)."""
    names = [p.name for p in passes]
    if FIRST_KERNEL_LOCAL not in names:
        return None
    start = names.index(FIRST_KERNEL_LOCAL)
    return start if all(n in local_names for n in names[start:]) else None


@dataclass
class WorkerRun:
    """What `apply_pipeline` did: the processes used and the wall time of
    the parallel tail (0 when it ran in this process only)."""

    jobs: int = 1
    wall: float = 0.0


class WorkerError(Exception):
    """A worker failed: the exception it raised (when it survives pickling)
    or its text, and the worker's report."""

    def __init__(self, error: BaseException, report: Any):
        super().__init__(str(error))
        self.error = error
        self.report = report


def _run(ctx: Context, module: ModuleOp, passes: Sequence[ModulePass],
         callback: Callback | None, prev: ModulePass | None, last: bool) -> None:
    """Apply `passes` with PassPipeline's callback protocol: (prev, module,
    next) before each pass, and (last pass, module, None) at the end when
    `last`."""
    for p in passes:
        if callback is not None:
            callback(prev, module, p)
        p.apply(ctx, module)
        prev = p
    if callback is not None and last:
        callback(prev, module, None)


class _Recorder(AssemblyPrinter):
    """An assembly printer that keeps the section switches apart from the
    text, so that the printing process can replay them (it, not the worker,
    knows which section is current)."""

    def __init__(self) -> None:
        super().__init__(stream=io.StringIO())
        self.chunks: list[tuple[str, str]] = []

    def emit_section(self, new_section: str) -> None:
        self.flush()
        self.chunks.append(("section", new_section))

    def flush(self) -> None:
        assert isinstance(self.stream, io.StringIO)
        text = self.stream.getvalue()
        if text:
            self.chunks.append(("text", text))
            self.stream.seek(0)
            self.stream.truncate()


def _assembly(op: Operation) -> list[tuple[str, str]]:
    recorder = _Recorder()
    for o in op.walk():
        o.print_assembly(recorder)  # type: ignore[attr-defined]
    recorder.flush()
    return recorder.chunks


def _portable(e: BaseException) -> BaseException:
    """`e` if it survives pickling, else a RuntimeError with its text."""
    try:
        return pickle.loads(pickle.dumps(e))
    except Exception:
        return RuntimeError(f"{type(e).__name__}: {e}")


def _shares(module: ModuleOp, is_kernel: Callable[[Operation], bool], jobs: int) -> list[set[int]]:
    """Top-level op positions per process (share 0: this one, which keeps
    every non-kernel op)."""
    top = list(module.ops)
    load = [0] * jobs
    shares: list[set[int]] = [set() for _ in range(jobs)]
    weights = []
    for i, op in enumerate(top):
        size = sum(1 for _ in op.walk())
        if is_kernel(op):
            weights.append((size, i))
        else:
            shares[0].add(i)
            load[0] += size
    for size, i in sorted(weights, key=lambda w: (-w[0], w[1])):
        w = min(range(jobs), key=lambda k: (load[k], k))
        shares[w].add(i)
        load[w] += size
    return shares


def _keep_only(module: ModuleOp, keep: set[int]) -> None:
    for i, op in enumerate(list(module.ops)):
        if i not in keep:
            op.detach()


def apply_pipeline(
    ctx: Context,
    module: ModuleOp,
    passes: Sequence[ModulePass],
    jobs: int = 1,
    local_names: frozenset[str] = frozenset(),
    is_kernel: Callable[[Operation], bool] = lambda op: isinstance(op, func.FuncOp),
    callback: Callback | None = None,
    report: Callable[[], Any] | None = None,
    merge: Callable[[Any], None] | None = None,
    translate: Callable[[BaseException], BaseException] | None = None,
) -> WorkerRun:
    """Apply `passes` to `module`, the per-function tail (see
    `kernel_local_tail`) on the kernel functions in `jobs` processes.
    `callback` follows PassPipeline's protocol in every process (so each
    verifies and times its share; the last call comes before the workers'
    functions are put in place); a worker's `report()` result reaches
    `merge` here. A worker's failure is raised as WorkerError after every
    worker has stopped, carrying `translate(exception)` as made in the worker
    (where the failing op exists; e.g. a located diagnostic)."""
    start = kernel_local_tail(passes, local_names) if jobs > 1 else None
    if start is None:
        _run(ctx, module, passes, callback, None, last=True)
        return WorkerRun()
    head, tail = passes[:start], passes[start:]
    _run(ctx, module, head, callback, None, last=False)
    shares = [s for s in _shares(module, is_kernel, jobs) if s]
    t0 = time.perf_counter()
    mp = multiprocessing.get_context("fork")
    workers = []
    for keep in shares[1:]:
        receive, send = mp.Pipe(duplex=False)

        def work(keep: set[int] = keep, send: Any = send) -> None:
            _keep_only(module, keep)
            try:
                # the transition into the tail: the head's last pass ran here too
                _run(ctx, module, tail, callback, head[-1] if head else None, last=True)
                result: tuple[Any, ...] = ("ok", [(_symbol(op), _assembly(op)) for op in module.ops])
            except BaseException as e:  # noqa: BLE001 - sent to the parent, raised there
                result = ("error", _portable(translate(e) if translate is not None else e))
            send.send((*result, report() if report is not None else None))
            send.close()

        process = mp.Process(target=work, daemon=True)
        process.start()
        send.close()
        workers.append((process, receive, sorted(keep)))
    try:
        _keep_only(module, shares[0])
        # the end of the pipeline for this share (each worker verified its own)
        _run(ctx, module, tail, callback, head[-1] if head else None, last=True)
        mine = list(module.ops)
        results = []
        for process, receive, keep in workers:
            try:
                status, payload, reported = receive.recv()
            except EOFError:
                process.join()
                raise RuntimeError(
                    f"a compile worker stopped with exit code {process.exitcode} before "
                    "sending its kernels (-j 1 compiles in this process)"
                ) from None
            if merge is not None and reported is not None:
                merge(reported)
            if status == "error":
                raise WorkerError(payload, reported)
            results.append((keep, payload))
    finally:
        for process, receive, _ in workers:
            receive.close()
            if process.is_alive():
                process.terminate()
            process.join()
    # every op back at its position: this process's (lowered in place) and
    # the workers' (as their assembly)
    placed: dict[int, Operation] = dict(_matched(sorted(shares[0]), mine))
    for keep, functions in results:
        for i, (name, chunks) in _matched(keep, functions):
            placed[i] = AssembledOp(name, chunks)
    for op in mine:
        op.detach()
    module.body.block.add_ops(placed[i] for i in sorted(placed))
    return WorkerRun(len(shares), time.perf_counter() - t0)


def _symbol(op: Operation) -> str:
    name = getattr(op, "sym_name", None)
    return name.data if name is not None else op.name


def _matched(positions: list[int], ops: list[Any]) -> zip:
    if len(positions) != len(ops):
        raise RuntimeError(
            f"the per-function passes turned {len(positions)} top-level ops into {len(ops)}: "
            "they must keep one op per function for -j (-j 1 compiles in one process)"
        )
    return zip(positions, ops)
