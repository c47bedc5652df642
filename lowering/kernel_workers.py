"""Kernel functions lowered in worker processes (`tdopt -j N`).

From `kernel-squeeze-unit-dims` on, every pass of the RISC-V pipeline works
on one function at a time: none reads another function, and loop labels are
numbered per function (`convert-riscv-scf-to-riscv-cf-per-function`). That
tail of the pipeline is where a large step spends most of its compile time,
so `apply_pipeline` runs it on the kernel functions in `jobs` processes
forked from this one (each inherits the module; nothing is re-parsed). A
worker lowers the kernels it takes, prints each to assembly and sends the
text back; this process lowers the rest (the entry, the data sections and
the kernels it takes) and puts each worker's function in its place as an
`rvx.assembled` op, which the riscv-asm target prints exactly as the
function would have printed. The program text is therefore identical to a
compile in one process (tested); the IR in between is not, so the driver
uses workers only when the result is printed as assembly.

Kernels are handed out one at a time from a shared counter, the costliest
first, to whichever process is free.
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
    """What `apply_pipeline` did: the processes used, the wall time of the
    parallel tail (0 when it ran in this process only), and the number of
    passes before the tail and in it (the tail runs once per kernel)."""

    jobs: int = 1
    wall: float = 0.0
    head: int = 0
    tail: int = 0


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


def _cost(op: Operation) -> int:
    """A kernel's expected lowering time, for the order in which kernels are
    handed out: a loop nest costs its body times its dimensions, four times
    over when it reduces (register blocking tries candidates there)."""
    cost = 0
    for o in op.walk():
        iterators = o.properties.get("iterator_types") or o.attributes.get("iterator_types")
        if iterators is None or not o.regions:
            cost += 1
            continue
        dims = len(iterators.data)  # type: ignore[attr-defined]
        reduces = any("reduction" in str(t) for t in iterators.data)  # type: ignore[attr-defined]
        body = sum(1 for _ in o.regions[0].walk())
        cost += body * dims * (4 if reduces else 1)
    return cost


def _next(counter: Any, order: list[int]) -> int | None:
    """The next kernel position nobody has taken, or None."""
    with counter.get_lock():
        k = counter.value
        counter.value = k + 1
    return order[k] if k < len(order) else None


class _Tail:
    """The tail of the pipeline, run on one batch of ops at a time in a
    module that holds nothing else. The first run continues PassPipeline's
    callback protocol from the head's last pass; later runs start afresh
    (so a process reports each pass's time once per run)."""

    def __init__(self, ctx: Context, module: ModuleOp, passes: Sequence[ModulePass],
                 callback: Callback | None, prev: ModulePass | None):
        self.ctx, self.module, self.passes = ctx, module, passes
        self.callback, self.prev = callback, prev

    def lower(self, ops: list[Operation]) -> list[Operation]:
        """`ops` lowered through the tail (the module is left empty): the
        ops they became, one per op."""
        self.module.body.block.add_ops(ops)
        prev, self.prev = self.prev, None
        _run(self.ctx, self.module, self.passes, self.callback, prev, last=True)
        out = list(self.module.ops)
        for op in out:
            op.detach()
        if len(out) != len(ops):
            raise RuntimeError(
                f"the per-function passes turned {len(ops)} top-level ops into {len(out)}: "
                "they must keep one op per function for -j (-j 1 compiles in one process)"
            )
        return out


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

    The kernels are handed out one at a time, the costliest first (see
    `_cost`), to whichever process is free: a fixed share per process left
    one process with most of the work when a few kernels dominate. This
    process first lowers the non-kernel ops, then takes kernels too. Each
    kernel is lowered alone in the module (its attributes kept), which the
    tail allows since no pass there reads another function.

    `callback` follows PassPipeline's protocol in every process, once per
    kernel (so each verifies and times what it lowered); a worker's
    `report()` results at its start and end reach `merge` here as a pair.
    A failure is raised after every worker has stopped: the one of the first
    function in the module, as WorkerError carrying `translate(exception)`
    as made in the worker (where the failing op exists; e.g. a located
    diagnostic) when a worker failed."""
    start = kernel_local_tail(passes, local_names) if jobs > 1 else None
    if start is None:
        _run(ctx, module, passes, callback, None, last=True)
        return WorkerRun()
    head, tail = passes[:start], passes[start:]
    _run(ctx, module, head, callback, None, last=False)
    prev = head[-1] if head else None
    top = list(module.ops)
    kernels = [i for i, op in enumerate(top) if is_kernel(op)]
    order = sorted(kernels, key=lambda i: (-_cost(top[i]), i))
    rest = sorted(set(range(len(top))) - set(kernels))
    jobs = min(jobs, len(kernels) + 1)
    for op in top:
        op.detach()
    t0 = time.perf_counter()
    mp = multiprocessing.get_context("fork")
    counter = mp.Value("i", 0)
    workers = []
    for _ in range(jobs - 1):
        receive, send = mp.Pipe(duplex=False)

        def work(send: Any = send) -> None:
            done: list[tuple[int, str, list[tuple[str, str]]]] = []
            result: tuple[Any, ...]
            i = None
            before = report() if report is not None else None
            try:
                # the head's last pass is this process's parent's to report
                lower = _Tail(ctx, module, tail, callback, None).lower
                while (i := _next(counter, order)) is not None:
                    (lowered,) = lower([top[i]])
                    done.append((i, _symbol(lowered), _assembly(lowered)))
                result = ("ok", done)
            except BaseException as e:  # noqa: BLE001 - sent to the parent, raised there
                result = ("error", (i, _portable(translate(e) if translate is not None else e)))
            send.send((*result, (before, report()) if report is not None else None))
            send.close()

        process = mp.Process(target=work, daemon=True)
        process.start()
        send.close()
        workers.append((process, receive))
    placed: dict[int, Operation] = {}
    failures: list[tuple[int, BaseException, bool, Any]] = []
    try:
        i: int | None = -1
        try:
            lower = _Tail(ctx, module, tail, callback, prev).lower
            # the non-kernel ops first (a failure there comes before any kernel's)
            if rest:
                placed.update(zip(rest, lower([top[k] for k in rest])))
            while (i := _next(counter, order)) is not None:
                placed[i] = lower([top[i]])[0]
        except Exception as e:
            failures.append((i if i is not None else -1, e, False, None))
            with counter.get_lock():
                counter.value = len(order)  # the workers stop after their current kernel
        for process, receive in workers:
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
                position, error = payload
                failures.append((position if position is not None else -1, error, True, reported))
                continue
            for position, name, chunks in payload:
                placed[position] = AssembledOp(name, chunks)
    finally:
        for process, receive in workers:
            receive.close()
            if process.is_alive():
                process.terminate()
            process.join()
    if failures:
        _, error, in_worker, reported = min(failures, key=lambda f: f[0])
        if in_worker:
            raise WorkerError(error, reported)
        raise error
    # every op back at its position: this process's (lowered in place) and
    # the workers' (as their assembly)
    module.body.block.add_ops(placed[k] for k in sorted(placed))
    return WorkerRun(jobs, time.perf_counter() - t0, len(head), len(tail))


def _symbol(op: Operation) -> str:
    name = getattr(op, "sym_name", None)
    return name.data if name is not None else op.name
