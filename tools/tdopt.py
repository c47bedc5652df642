"""`tdopt`: the xdsl-opt-style driver of tdopt.

    tdopt input.mlir -p PIPELINE [-o OUT] [-t TARGET] [--split-input-file]
          [--verify-diagnostics]
    tdopt input.mlir --lora [--lora-rank N] [--tile-l1 SIZE] [--after-autodiff PASSES] ...
    tdopt --lora --tile-l1=128k --print-pipeline     # the -p string a preset expands to
    tdopt input.mlir --lora --tile-l1=128k --plot-memory plan.png   # and draw the memory plan
    tdopt --help-pass NAME                           # a pass's options and documentation

Differences from stock `xdsl-opt`: every op keeps its `file:line:col`, so a
verifier or pass error names the offending source line; failures are one
diagnostic and a non-zero exit, never a traceback; parameters loaded from a
weights file are checked against the file.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import inspect
import io
import math
import os
import re
import sys
import textwrap
import time
from collections.abc import Callable, Sequence
from typing import IO, TYPE_CHECKING

import numpy as np
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass, PassPipeline
from xdsl.printer import Printer
from xdsl.utils.arg_spec import parse_spec
from xdsl.utils.exceptions import ArgSpecParseError, DiagnosticException
from xdsl.xdsl_opt_main import xDSLOptMain

from tdopt.target import CLUSTER
from tdopt.dialects.weights import (
    WeightsError,
    absolutize_weights,
    check_weights,
    relativize_weights,
    weights_path,
)
from tdopt.tools.diagnostics import (
    Diagnostic,
    PassCrash,
    check_output_path,
    check_readable_file,
    decode_source,
    end_process,
    failing_op,
    internal_error,
    located,
    parse_module,
    run_tool,
    verify_module,
    write_text_output,
)

if TYPE_CHECKING:
    from tdopt.analyses.memory_plan import MemorySeries


class TdoptMain(xDSLOptMain):
    version_format = "tdopt (xDSL {xdsl_version})"

    def __init__(self, args: Sequence[str] | None = None):
        from tdopt.lowering import xdsl_fixes

        xdsl_fixes.apply()
        self.sources: dict[str, str] = {}
        # without -t the level's own target prints the result (riscv-asm
        # after --emit=asm); an explicit -t is checked against the result
        given = list(sys.argv[1:] if args is None else args)
        self.target_given = any(
            a in ("-t", "--target") or a.startswith("--target=") or (a.startswith("-t") and a[2:3] != "-")
            and len(a) > 2 for a in given
        )
        super().__init__(description=__doc__.splitlines()[0], args=args)

    def register_all_arguments(self, arg_parser: argparse.ArgumentParser) -> None:
        super().register_all_arguments(arg_parser)
        presets = arg_parser.add_argument_group(
            "presets (expand to a pass pipeline; not combinable with -p)"
        )
        presets.add_argument(
            "--lora",
            action="store_true",
            help="LoRA fine-tuning step: train-lora{rank=N} on the last block's linear "
            "layers, train-autodiff, train-sgd (`--lora=N` sets the rank too)",
        )
        presets.add_argument(
            "--lora-rank",
            type=int,
            default=None,
            metavar="N",
            help="rank of the LoRA adapters (default 4)",
        )
        presets.add_argument(
            "--finetune",
            metavar="N|PATTERNS",
            help="selective fine-tuning step: train-finetune{last=N} for a number, "
            "else train-finetune{trainable=PATTERNS} (comma-separated names or globs of "
            "the parameters to train), then train-autodiff, train-sgd",
        )
        presets.add_argument(
            "--accumulate",
            type=int,
            default=None,
            metavar="K",
            help="gradient accumulation: the step trains on K times the batch it was "
            "written for, as K micro-batches one after the other (the memory of one), "
            "and makes one SGD update with the mean gradient (train-accumulate, between "
            "train-autodiff and train-sgd; needs --lora or --finetune)",
        )
        presets.add_argument(
            "--lr", type=float, default=0.01, help="SGD learning rate of the presets "
            "(default 0.01, the TrainDeeploy setting)"
        )
        presets.add_argument(
            "--tile-l1",
            metavar="SIZE",
            help="keep the tensors in L2 and run every kernel tile by tile through an "
            "L1 of SIZE (64k, 128k, 256k or bytes; 8 KiB of it are the core stacks) "
            "with double-buffered DMA; implies --emit=asm unless --emit=linalg",
        )
        presets.add_argument(
            "--cores",
            type=int,
            default=CLUSTER.cores,
            metavar="N",
            help=f"cluster cores the kernels are split over (1..{CLUSTER.cores}, default "
            f"{CLUSTER.cores}; 1 runs every kernel on core 0 alone)",
        )
        presets.add_argument(
            "--l2",
            metavar="SIZE",
            default="2m",
            help="L2 size (default 2m, the cluster's; 256 KiB of it hold the code)",
        )
        points = arg_parser.add_argument_group(
            "extension points of the presets (comma-separated passes, like -p)"
        )
        for point, where in EXTENSION_POINTS.items():
            points.add_argument(f"--{point}", metavar="PASSES", default=None, help=where)
        arg_parser.add_argument(
            "--verify-each",
            action="store_true",
            help="verify the IR after every pass (default: at the end of each level of "
            "the pipeline, train, linalg, loops and riscv, and of the pipeline)",
        )
        arg_parser.add_argument(
            "-j",
            "--jobs",
            type=int,
            default=None,
            metavar="N",
            help="lower the kernel functions to assembly in N processes (default: the "
            "machine's cores); the assembly is the same for every N. Used when the "
            "result is printed as assembly (-t riscv-asm) without --stats or "
            "--print-between-passes; otherwise the pipeline runs in one process",
        )
        arg_parser.add_argument(
            "--print-pipeline",
            action="store_true",
            help="print the -p pipeline that the given flags expand to and exit",
        )
        arg_parser.add_argument(
            "--help-pass",
            metavar="NAME",
            help="print the documentation and options of a pass and exit",
        )
        arg_parser.add_argument(
            "--stats",
            action="store_true",
            help="print statistics of the result (parameters, memory plan) on stderr",
        )
        arg_parser.add_argument(
            "--plot-memory",
            metavar="OUT.png",
            help="also draw the static memory plan to this image: bytes live per tier "
            "(L1, L2, L3) at each kernel call of the step, each tier's capacity, the "
            "largest buffers named; with any --emit (a step not lowered that far is "
            "planned on a copy with the same --tile-l1, --cores, --l2)",
        )
        presets.add_argument(
            "--emit",
            choices=["train", "linalg", "asm"],
            default=None,
            help="how far to lower: the training step in the train dialect (default), "
            "linalg kernels on memrefs with the memory plan, or RISC-V assembly",
        )
        arg_parser.epilog = pass_listing(self.available_passes)
        arg_parser.formatter_class = argparse.RawDescriptionHelpFormatter

    def setup_pipeline(self) -> None:
        from tdopt.lowering.pipeline import LEVEL_STARTS

        self.current_pass: ModulePass | None = None
        self.pass_times: list[tuple[str, float]] = []
        self.verify_time = 0.0
        self.verifications = 0
        # (position, name) of the passes that ran since the IR was last verified
        self.unverified: list[tuple[int, str]] = []
        self.level = "train"
        # --plot-memory: the plan as the last planning pass left it
        self.plan_seen: MemorySeries | ValueError | None = None
        started = time.perf_counter()
        if self.args.verify_each and self.args.disable_verify:
            raise Diagnostic("choose one of --verify-each and --disable-verify")

        def between(prev: ModulePass | None, module: ModuleOp, nxt: ModulePass | None):
            nonlocal started
            if prev is not None:
                self.pass_times.append((prev.name, time.perf_counter() - started))
                self.unverified.append((len(self.pass_times), prev.name))
            t0 = time.perf_counter()
            # verified: the input (when parsed), the end of each level, the
            # result, and with --verify-each after every pass
            ends_level = nxt is None or nxt.name in LEVEL_STARTS
            if (self.unverified and not self.args.disable_verify
                    and (self.args.verify_each or ends_level)):
                try:
                    self.verifications += 1
                    verify_module(module, self.sources)
                except Diagnostic as d:
                    d.message = f"{self.unverified_span()}: {d.message}"
                    raise
                self.unverified = []
            self.verify_time += time.perf_counter() - t0
            if prev is not None and nxt is not None and self.args.print_between_passes:
                print(f"// IR after {prev.name}:")
                Printer(stream=sys.stdout).print_op(module)
                print("\n")
            if prev is not None and prev.name in PLANNING_PASSES and self.args.plot_memory:
                from tdopt.analyses.memory_plan import memory_series

                try:  # drawn after the pipeline (--plot-memory)
                    self.plan_seen = memory_series(module)
                except ValueError as e:
                    self.plan_seen = e
            if nxt is not None and nxt.name in LEVEL_STARTS:
                self.level = LEVEL_STARTS[nxt.name]
            self.current_pass = nxt
            started = time.perf_counter()

        if self.args.help_pass is not None or self.args.print_pipeline:
            self.pipeline_spec = self.preset_pipeline() if self.args.print_pipeline else ""
            return
        self.pipeline_spec = self.preset_pipeline()
        # only what the pipeline parser raises is a bad pipeline
        try:
            self.pipeline = PassPipeline.parse_spec(
                self.available_passes, self.pipeline_spec, between
            )
        except ArgSpecParseError as e:
            raise Diagnostic("bad pass pipeline: " + str(e).split(":", 1)[-1].strip()) from None
        except ValueError as e:  # an unknown pass or option
            raise Diagnostic(f"bad pass pipeline: {_first_line(e)}") from None

    def unverified_span(self) -> str:
        """Which passes may have broken the IR: the one pass that ran since
        the last verification, or the span of them and the level whose end
        found the failure."""
        (first_at, first), (last_at, last) = self.unverified[0], self.unverified[-1]
        if first_at == last_at:
            return f"after pass '{last}'"
        return (
            f"in passes '{first}' to '{last}' (#{first_at}-#{last_at} of the pipeline; "
            f"found at the end of the {self.level} level, --verify-each names the pass)"
        )

    def preset_pipeline(self) -> str:
        """The -p pipeline, or the one the preset flags expand to."""
        a = self.args
        lowering_flags = a.tile_l1 is not None or a.cores != CLUSTER.cores or a.l2 != "2m"
        if a.lora_rank is not None and not a.lora:
            raise Diagnostic("--lora-rank needs --lora")
        uses_presets = (
            a.lora or a.finetune is not None or a.emit not in (None, "train") or lowering_flags
        )
        points = {p: getattr(a, p.replace("-", "_")) for p in EXTENSION_POINTS}
        used_points = [p for p, v in points.items() if v is not None]
        if a.accumulate is not None and not (a.lora or a.finetune is not None):
            raise Diagnostic("--accumulate needs a training preset (--lora or --finetune)")
        if not uses_presets:
            if used_points:
                raise Diagnostic(
                    f"--{used_points[0]} extends a preset (--lora, --finetune, --emit, "
                    "--tile-l1); with -p, write the passes into the pipeline"
                )
            return a.passes
        if a.passes:
            raise Diagnostic(
                "-p cannot be combined with --lora, --finetune, --emit, --tile-l1, "
                "--cores or --l2: add passes at an extension point (--before-autodiff, "
                "--after-autodiff, --after-sgd, --before-riscv), or print the preset's "
                "pipeline with --print-pipeline and edit it into -p"
            )
        if a.emit == "train" and lowering_flags:
            given = [f for f, on in (("--tile-l1", a.tile_l1 is not None), ("--cores", a.cores != CLUSTER.cores),
                                     ("--l2", a.l2 != "2m")) if on]
            raise Diagnostic(
                f"--emit=train conflicts with {', '.join(given)}: "
                f"{'they configure' if len(given) > 1 else 'it configures'} the lowering; "
                "use --emit=linalg or --emit=asm, or drop "
                f"{'them' if len(given) > 1 else 'it'}"
            )
        if a.emit is None and a.tile_l1 is not None:
            a.emit = "asm"
        if lowering_flags and a.emit is None:
            raise Diagnostic("--cores and --l2 apply to --emit=linalg or --emit=asm")
        if a.emit is None:
            a.emit = "train"
        if not (math.isfinite(a.lr) and a.lr > 0):
            raise Diagnostic(f"--lr must be a positive number, got {a.lr}")
        if a.lora and a.finetune is not None:
            raise Diagnostic("choose one of --lora and --finetune")
        steps: list[str] = []
        if a.lora:
            rank = 4 if a.lora_rank is None else a.lora_rank
            if rank < 1:
                raise Diagnostic(f"--lora rank must be >= 1, got {rank}")
            steps.append(f"train-lora{{rank={rank}}}")
        elif a.finetune is not None:
            if a.finetune.isdigit():
                steps.append(f"train-finetune{{last={a.finetune}}}")
            else:
                patterns = ",".join(f'"{p.strip()}"' for p in a.finetune.split(",") if p.strip())
                steps.append(f"train-finetune{{trainable={patterns}}}")
        training = bool(steps)
        for p in ("before-autodiff", "after-autodiff", "after-sgd"):
            if points[p] is not None and not training:
                raise Diagnostic(f"--{p} needs a training preset (--lora or --finetune)")
        if a.accumulate is not None and a.accumulate < 1:
            raise Diagnostic(f"--accumulate: the number of micro-batches is at least 1, got {a.accumulate}")
        if training:
            steps += _extra(points["before-autodiff"])
            steps.append("train-autodiff")
            steps += _extra(points["after-autodiff"])
            if a.accumulate is not None and a.accumulate > 1:
                steps.append(f"train-accumulate{{micro_batches={a.accumulate}}}")
            steps.append(f"train-sgd{{lr={_pipeline_number(a.lr)}}}")
            steps += _extra(points["after-sgd"])
        if points["before-riscv"] is not None and a.emit != "asm":
            raise Diagnostic("--before-riscv needs --emit=asm or --tile-l1")
        if a.emit in ("linalg", "asm"):
            from tdopt.lowering.pipeline import to_linalg, to_riscv

            tile_l1, l2 = _lowering_sizes(a.tile_l1, a.l2)
            why = CLUSTER.check_cores(a.cores)
            if why is not None:
                raise Diagnostic(f"--cores {a.cores}: {why}")
            steps.append(to_linalg(tile_l1, a.cores, l2))
            if a.emit == "asm":
                steps += _extra(points["before-riscv"])
                steps.append(to_riscv(parallel=a.cores > 1))
                if not self.target_given:
                    a.target = "riscv-asm"
        return ",".join(steps)

    def check_plot_memory(self) -> None:
        """--plot-memory: a writable image path that is no input, checked
        before any work."""
        from tdopt.tools.tdbench import check_plot_format

        path = self.args.plot_memory
        if self.args.split_input_file:
            raise Diagnostic("--plot-memory draws one module; it cannot be combined with "
                             "--split-input-file")
        check_output_path(path, [self.args.input_file or "", self.args.output_file or ""],
                          "--plot-memory")
        check_plot_format(path, "--plot-memory")

    def plot_memory(self, module: ModuleOp) -> None:
        """Draw the memory plan the pipeline made (as plan-memory and
        tier-tile-l1 left it), or, when the pipeline stopped before it, the
        plan of a copy of the result lowered to the linalg level with the
        same --tile-l1, --cores and --l2."""
        from tdopt.analyses.memory_plan import is_planned, memory_series
        from tdopt.tools.memory_plot import capacities, plot_memory

        a = self.args
        tile_l1, l2 = _lowering_sizes(a.tile_l1, a.l2)
        series = self.plan_seen
        planned: ModuleOp | None = None
        if series is None and is_planned(module):
            planned = module
        if series is None and planned is None:
            if not any(op.name.startswith("train.") for op in module.walk()):
                raise Diagnostic(
                    "--plot-memory: the result has no memory plan and is not a training "
                    "step in the train dialect to plan (run plan-memory, e.g. --emit=linalg)"
                )
            from tdopt.lowering.pipeline import run_pipeline, to_linalg

            planned = module.clone()
            try:
                run_pipeline(self.ctx, planned, to_linalg(tile_l1, a.cores, l2))
            except Exception as e:
                error = self.user_error(e)
                raise (error if isinstance(error, Diagnostic) else Diagnostic(
                    f"--plot-memory: planning the step failed: {_first_line(e)}")) from None
        if series is None:
            assert planned is not None
            try:
                series = memory_series(planned)
            except ValueError as e:
                series = e
        if isinstance(series, ValueError):
            raise Diagnostic(f"--plot-memory: {series}")
        where = f"kernels tiled through a {tile_l1 // 1024} KiB L1" if tile_l1 else "no L1 tiling"
        title = f"static memory plan of {self.input_name()} ({where})"
        plot_memory(a.plot_memory, series, capacities(tile_l1, l2), title)

    def output_resulting_program(self, prog: ModuleOp) -> str:
        check_target(self.args.target, prog)
        return super().output_resulting_program(prog)

    def input_name(self) -> str:
        return self.args.input_file or "<stdin>"

    def parse_text(self, text: str) -> ModuleOp:
        name = self.input_name()
        module = parse_module(self.ctx, text, name)
        if not self.args.disable_verify:
            verify_module(module, self.sources)
        base = os.path.dirname(os.path.abspath(self.args.input_file or "."))
        absolutize_weights(module, base)
        try:
            check_weights(module, base)
        except WeightsError as e:
            if e.op is not None:
                raise located(e.op, e.message, self.sources) from None
            raise Diagnostic(e.message, name) from None
        return module

    def jobs(self) -> int:
        """Processes for the kernels' lowering (see --jobs)."""
        from tdopt.lowering.kernel_workers import machine_cores

        a = self.args
        if a.jobs is not None and a.jobs < 1:
            raise Diagnostic(f"-j {a.jobs}: the number of processes is at least 1")
        if a.target.split("{", 1)[0] != "riscv-asm" or a.stats or a.print_between_passes:
            return 1
        return a.jobs if a.jobs is not None else machine_cores()

    def apply_passes(self, prog: ModuleOp) -> None:
        from tdopt.lowering.kernel_workers import WorkerError, apply_pipeline
        from tdopt.lowering.pipeline import KERNEL_LOCAL, is_kernel

        self.apply_start = len(self.pass_times)
        Report = tuple[list[tuple[str, float]], float, int]

        def report() -> Report:
            # a worker's counts (for --time-passes): inherited from this
            # process when it starts, its own added by the end
            return self.pass_times[self.apply_start:], self.verify_time, self.verifications

        self.worker_times: list[list[tuple[str, float]]] = []

        def merge(reported: tuple[Report, Report]) -> None:
            (t0, v0, c0), (t1, v1, c1) = reported
            self.worker_times.append(t1[len(t0):])
            self.verify_time += v1 - v0
            self.verifications += c1 - c0

        try:
            self.worker_run = apply_pipeline(
                self.ctx, prog, self.pipeline.passes, self.jobs(), KERNEL_LOCAL, is_kernel,
                self.pipeline.callback, report, merge, self.user_error,
            )
        except WorkerError as e:
            raise e.error from None  # already what the user sees, made in the worker
        except Exception as e:
            error = self.user_error(e)
            if error is e:
                raise
            raise error from None

    def user_error(self, e: BaseException) -> BaseException:
        """What the user sees of an exception raised by a pass (in this
        process or a compile worker, where the failing op still exists): a
        located diagnostic for an expected failure, an internal compiler
        error naming the pass for a bug, `e` itself otherwise."""
        if isinstance(e, (Diagnostic, PassCrash)) or not isinstance(e, Exception):
            return e
        if isinstance(e, DiagnosticException):
            op = getattr(e, "op", None)
            if op is not None:
                # a pass-created op has no location of its own: named, and
                # located at the op it was lowered from (never the module's 1:1)
                return failing_op(op, _first_line(e), self.sources)
            return Diagnostic(_first_line(e), self.input_name())
        p = self.current_pass
        if p is None or os.environ.get("TDOPT_TRACEBACK"):
            return e
        origin = type(p).__module__
        # its input may be invalid IR that a pass since the last
        # verification made: --verify-each would have stopped there
        unchecked = (
            f"; its input was not verified since pass '{self.unverified[0][1]}', "
            "--verify-each checks after every pass"
            if self.unverified and not self.args.disable_verify else ""
        )
        if _is_project_module(origin):
            return PassCrash(internal_error(e, f"in pass '{p.name}'{unchecked}"))
        # a pass from a plugin or from xDSL: not tdopt's bug to report
        return PassCrash(Diagnostic(
            f"pass '{p.name}' (from {origin}) failed on {self.input_name()}: "
            f"{type(e).__name__}: {_first_line(e)} (TDOPT_TRACEBACK=1 shows the "
            f"traceback{unchecked})"
        ))

    def print_pass_times(self) -> None:
        """mlir-opt's --mlir-timing in brief: wall time per pass, in pipeline
        order, and the verification between passes, on stderr. With -j the
        per-function passes ran in several processes: their times are the
        sum over the processes, and a line gives the wall time they took."""
        from tdopt.lowering.kernel_workers import FIRST_KERNEL_LOCAL

        times = list(self.pass_times)
        run = getattr(self, "worker_run", None)
        if run is not None and run.jobs > 1:
            # the tail ran once per kernel, in every process: fold each run
            # of it onto the pipeline's passes
            head = self.apply_start + run.head
            folded = times[:head] + [(name, 0.0) for name, _ in times[head:head + run.tail]]
            runs = [times[head:], *self.worker_times]
            for entries in runs:
                for k, (name, t) in enumerate(entries):
                    assert folded[head + k % run.tail][0] == name
                    folded[head + k % run.tail] = (name, folded[head + k % run.tail][1] + t)
            times = folded
        total = sum(t for _, t in times) + self.verify_time
        label = f"(verification x{self.verifications})"
        width = max([len(n) for n, _ in times] + [len(label)])
        print("tdopt pass timing (wall seconds):", file=sys.stderr)
        for name, t in times:
            print(f"  {t:9.4f}  {name:<{width}}  {100 * t / total if total else 0:5.1f}%",
                  file=sys.stderr)
        print(f"  {self.verify_time:9.4f}  {label:<{width}}  "
              f"{100 * self.verify_time / total if total else 0:5.1f}%", file=sys.stderr)
        print(f"  {total:9.4f}  total", file=sys.stderr)
        if run is not None and run.jobs > 1:
            print(f"  the passes from {FIRST_KERNEL_LOCAL} on ran in {run.jobs} processes "
                  f"(-j): their times are summed over the processes; {run.wall:.4f} s wall",
                  file=sys.stderr)

    def run(self) -> int:  # type: ignore[override]
        if self.args.help_pass is not None:
            print(pass_help(self.available_passes, self.args.help_pass))
            return 0
        if self.args.print_pipeline:
            print(self.pipeline_spec)
            return 0
        if self.args.input_file is not None:
            check_readable_file(self.args.input_file)
        if self.args.output_file:
            check_output_path(self.args.output_file, [self.args.input_file or ""])
        if self.args.plot_memory:
            self.check_plot_memory()
        stream = (
            open(self.args.input_file, "rb") if self.args.input_file else sys.stdin.buffer
        )
        with stream:
            whole = decode_source(stream.read(), self.input_name())
        self.sources[self.input_name()] = whole
        chunks: list[tuple[str, int]] = [(whole, 0)]
        if self.args.split_input_file:
            chunks, offset = [], 0
            for piece in whole.split("// -----"):
                chunks.append((piece, offset))
                offset += piece.count("\n")
        # the output file is written only when everything succeeded
        out: IO[str] = io.StringIO() if self.args.output_file else sys.stdout
        for i, (text, offset) in enumerate(chunks):
            if i > 0:
                out.write("// -----\n")
            try:
                module = self.parse_text(_pad(text, offset))
                if self.args.output_file:
                    # the weights file is an input too (made absolute by
                    # parse_text): -o must not replace it
                    named = weights_path(module, "")
                    check_output_path(self.args.output_file, [named or ""])
                if self.args.plot_memory:
                    check_output_path(self.args.plot_memory, [weights_path(module, "") or ""],
                                      "--plot-memory")
                self.apply_passes(module)
                if self.args.plot_memory:
                    self.plot_memory(module)
                if self.args.stats:
                    from tdopt.tools.stats import module_stats

                    for line in module_stats(module):
                        print(line, file=sys.stderr)
                # a weights path is read relative to the .mlir that names it:
                # relative to the output file, and absolute on stdout, whose
                # text may be redirected into any folder (relative to the
                # current one it was read as DIR/DIR/w.npz)
                if self.args.output_file:
                    relativize_weights(
                        module, os.path.dirname(os.path.abspath(self.args.output_file))
                    )
                out.write(self.output_resulting_program(module))
            except Diagnostic as d:
                if self.args.verify_diagnostics:
                    print(str(d), file=out)
                else:
                    raise
            out.flush()
        if self.args.output_file:
            write_text_output(self.args.output_file, out.getvalue())  # type: ignore[attr-defined]
        if self.args.time_passes:
            self.print_pass_times()
        return 0


# the passes whose result --plot-memory draws (the last one that ran)
PLANNING_PASSES = ("plan-memory", "tier-tile-l1")


# where each extension point puts its passes in a preset's pipeline
EXTENSION_POINTS = {
    "before-autodiff": "after train-lora / train-finetune, before train-autodiff",
    "after-autodiff": "between train-autodiff (the NAME_grad results) and train-sgd",
    "after-sgd": "after train-sgd: the whole step in the train dialect, before lowering",
    "before-riscv": "after the linalg level (memory plan, L1 tiling), before the RISC-V "
    "lowering (--emit=asm / --tile-l1)",
}


# the dialect (op-name prefix) whose ops each printing target of xDSL
# translates; any other op it would print as nonsense or drop (targets not
# listed, e.g. plugins', are not checked)
TARGET_DIALECTS = {
    "riscv-asm": "riscv",
    "x86-asm": "x86",
    "arm-asm": "arm",
    "wgsl": "gpu",
    "wat": "wasm",
    "csl": "csl",
    "llvm": "llvm",
}


def check_target(target: str, module: ModuleOp) -> None:
    """`-t TARGET` prints the module: an error when the module holds none of
    the ops the target translates, listing the targets that apply."""
    name = target.split("{", 1)[0]
    prefix = TARGET_DIALECTS.get(name)
    if prefix is None:
        return
    dialects = {op.name.split(".", 1)[0] for op in module.walk()}

    def holds(p: str) -> bool:
        return any(d == p or d.startswith(p + "_") for d in dialects)

    if holds(prefix):
        return
    applicable = ["mlir", *(t for t, p in TARGET_DIALECTS.items() if holds(p))]
    level = ("a module lowered to RISC-V" if holds("riscv") else
             "a module in the " + ", ".join(sorted(d for d in dialects if d not in ("builtin",))) +
             " dialects")
    raise Diagnostic(
        f"-t {name}: translates {prefix} ops, and the result is {level}; "
        f"the targets that apply: {', '.join(applicable)}"
    )


def _pipeline_number(x: float) -> str:
    """A float as xDSL's pipeline syntax reads it: positional digits (it
    has no exponent notation, which Python prints for 1e-05)."""
    return np.format_float_positional(x, trim="-")


def _extra(passes: str | None) -> list[str]:
    return [passes] if passes else []


PassFactory = Callable[[], type[ModulePass]]


def _is_project_module(module: str) -> bool:
    return module == "tdopt" or module.startswith("tdopt.")


def _origin(factory: PassFactory) -> str | None:
    """"tdopt", a plugin's top-level package, or None for xDSL's own passes
    (told apart without importing every xDSL pass)."""
    module = getattr(factory, "__module__", "") or ""
    if module == "xdsl" or module.startswith("xdsl."):
        return None
    if _is_project_module(module):
        return "tdopt"
    return module.split(".")[0]


def _option_summary(cls: type[ModulePass]) -> str:
    names = [f.name for f in dataclasses.fields(cls)] if dataclasses.is_dataclass(cls) else []
    return "{" + " ".join(names) + "}" if names else ""


def _pass_doc(cls: type) -> str:
    """The class docstring, else (a dataclass without one gets its
    signature as __doc__) the module's."""
    doc = inspect.getdoc(cls) or ""
    if not doc or doc.startswith(f"{cls.__name__}("):
        doc = inspect.getdoc(sys.modules.get(cls.__module__)) or ""
    return doc.strip()


def _first_doc_line(cls: type) -> str:
    doc = _pass_doc(cls)
    return doc.splitlines()[0] if doc else ""


def pass_listing(passes: dict[str, PassFactory]) -> str:
    """The --help epilog: tdopt's passes and every plugin's (from the
    `xdsl.universe` entry point), with their options."""
    groups: dict[str, list[str]] = {}
    for name in sorted(passes):
        origin = _origin(passes[name])
        if origin is None:
            continue
        try:
            cls = passes[name]()
            line = f"{name}{_option_summary(cls)}"
            doc = _first_doc_line(cls)
        except Exception as e:  # a broken plugin must not break --help
            line, doc = name, f"(cannot load: {type(e).__name__}: {_first_line(e)})"
        groups.setdefault(origin, []).append(f"  {line}\n      {doc}" if doc else f"  {line}")
    text = ["passes (tdopt --help-pass NAME for the options):"] + groups.pop("tdopt", [])
    for origin in sorted(groups):
        text += [f"plugin passes ({origin}):"] + groups[origin]
    return "\n".join(text)


def _field_docs(cls: type) -> dict[str, str]:
    """Docstrings written under dataclass fields (the xDSL convention)."""
    docs: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(klass)))
        except (OSError, TypeError, SyntaxError):
            continue
        body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
        for a, b in zip(body, body[1:]):
            if (isinstance(a, ast.AnnAssign) and isinstance(a.target, ast.Name)
                    and isinstance(b, ast.Expr) and isinstance(b.value, ast.Constant)
                    and isinstance(b.value.value, str)):
                docs[a.target.id] = " ".join(b.value.value.split())
    return docs


def pass_help(passes: dict[str, PassFactory], name: str) -> str:
    """`tdopt --help-pass NAME`: the pass's documentation and its options
    (the dataclass fields: type, default, docstring)."""
    if name not in passes:
        close = [n for n in sorted(passes) if name in n or n in name][:5]
        hint = f"; similar: {', '.join(close)}" if close else ""
        raise Diagnostic(f"--help-pass: no pass named '{name}'{hint} (tdopt --help lists them)")
    cls = passes[name]()
    origin = _origin(passes[name]) or "xdsl"
    lines = [f"{name}  ({origin}: {cls.__module__}.{cls.__qualname__})", ""]
    doc = _pass_doc(cls)
    module_doc = inspect.getdoc(sys.modules.get(cls.__module__)) or ""
    if doc:
        lines += [doc, ""]
    if module_doc and module_doc != doc:
        lines += [module_doc, ""]
    fields = dataclasses.fields(cls) if dataclasses.is_dataclass(cls) else ()
    if not fields:
        lines.append("options: none")
    else:
        docs = _field_docs(cls)
        lines.append("options (-p 'NAME{option=value ...}'):")
        for f in fields:
            default = f.default if f.default is not dataclasses.MISSING else "(required)"
            kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
            lines.append(f"  {f.name}: {kind} = {default}")
            if f.name in docs:
                lines.append(textwrap.fill(docs[f.name], 76, initial_indent="      ",
                                           subsequent_indent="      "))
    return "\n".join(lines).rstrip()


def _lowering_sizes(tile_l1: str | None, l2: str) -> tuple[int | None, int]:
    """--tile-l1 and --l2 in bytes, checked against what the cluster has."""
    from tdopt.runtime.cluster import parse_size

    def size(flag: str, text: str) -> int:
        try:
            return parse_size(text)
        except ValueError:
            raise Diagnostic(
                f"{flag}: not a size: {text!r} (expected e.g. 64k, 128k, 2m or a byte count)"
            ) from None

    l1 = None
    if tile_l1 is not None:
        l1 = size("--tile-l1", tile_l1)
        why = CLUSTER.check_tile_l1(l1)
        if why is not None:
            raise Diagnostic(f"--tile-l1 {tile_l1}: {why}")
    l2_bytes = size("--l2", l2)
    why = CLUSTER.check_l2(l2_bytes)
    if why is not None:
        raise Diagnostic(f"--l2 {l2}: {why}")
    return l1, l2_bytes


def _pad(text: str, line_offset: int) -> str:
    # keep line numbers of split chunks equal to the whole file's
    return "\n" * line_offset + text


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def _expand_lora(argv: list[str]) -> list[str]:
    """`--lora=N` is `--lora --lora-rank N`: the rank is never taken from
    the next argument, which may be the input file."""
    out: list[str] = []
    for a in argv:
        m = re.fullmatch(r"--lora=(.*)", a)
        out += ["--lora", "--lora-rank", m.group(1)] if m else [a]
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """The `tdopt` program (`argv` None: the command line, and the process
    ends here, see `end_process`), or one run in this process."""
    as_program = argv is None
    argv = _expand_lora(list(sys.argv[1:] if argv is None else argv))
    code = run_tool(lambda: TdoptMain(args=argv).run())
    if as_program:
        end_process(code)
    return code


if __name__ == "__main__":
    sys.exit(main())
