"""`tdopt`: the xdsl-opt-style driver of tdopt.

    tdopt input.mlir -p PIPELINE [-o OUT] [-t TARGET] [--split-input-file]
          [--verify-diagnostics]

Differences from stock `xdsl-opt`: every op keeps its `file:line:col`, so a
verifier or pass error names the offending source line; failures are one
diagnostic and a non-zero exit, never a traceback; parameters loaded from a
weights file are checked against the file.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from collections.abc import Sequence
from typing import IO

from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass, PassPipeline
from xdsl.printer import Printer
from xdsl.utils.arg_spec import parse_spec
from xdsl.utils.exceptions import ArgSpecParseError, DiagnosticException
from xdsl.xdsl_opt_main import xDSLOptMain

from tdopt.dialects.weights import (
    WeightsError,
    absolutize_weights,
    check_weights,
    relativize_weights,
)
from tdopt.tools.diagnostics import (
    Diagnostic,
    internal_error,
    located,
    parse_module,
    report,
    verify_module,
)


class TdoptMain(xDSLOptMain):
    version_format = "tdopt (xDSL {xdsl_version})"

    def __init__(self, args: Sequence[str] | None = None):
        from tdopt.lowering import xdsl_fixes

        xdsl_fixes.apply()
        self.sources: dict[str, str] = {}
        super().__init__(description=__doc__.splitlines()[0], args=args)

    def register_all_arguments(self, arg_parser: argparse.ArgumentParser) -> None:
        super().register_all_arguments(arg_parser)
        presets = arg_parser.add_argument_group(
            "presets (expand to a pass pipeline; not combinable with -p)"
        )
        presets.add_argument(
            "--lora",
            nargs="?",
            const=4,
            type=int,
            metavar="RANK",
            help="LoRA fine-tuning step: train-lora{rank=RANK (default 4)} on the last "
            "block's linear layers, train-autodiff, train-sgd",
        )
        presets.add_argument(
            "--finetune",
            metavar="N|PATTERNS",
            help="selective fine-tuning step: train-finetune{last=N} for a number, "
            "else train-finetune{trainable=PATTERNS}, then train-autodiff, train-sgd",
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
            default=8,
            metavar="N",
            help="cluster cores the kernels are split over (1..8, default 8; 1 runs "
            "every kernel on core 0 alone)",
        )
        presets.add_argument(
            "--l2",
            metavar="SIZE",
            default="2m",
            help="L2 size (default 2m, the cluster's; 256 KiB of it hold the code)",
        )
        arg_parser.add_argument(
            "--stats",
            action="store_true",
            help="print statistics of the result (parameters, memory plan) on stderr",
        )
        presets.add_argument(
            "--emit",
            choices=["train", "linalg", "asm"],
            default="train",
            help="how far to lower: the training step in the train dialect (default), "
            "linalg kernels on memrefs with the memory plan, or RISC-V assembly",
        )
        arg_parser.epilog = "passes:\n" + "\n".join(
            f"  {name}" for name in sorted(self.available_passes)
            if _is_project_pass(self.available_passes[name])
        )
        arg_parser.formatter_class = argparse.RawDescriptionHelpFormatter

    def setup_pipeline(self) -> None:
        def verify(prev: ModulePass | None, module: ModuleOp, nxt: ModulePass | None):
            if prev is not None and not self.args.disable_verify:
                try:
                    verify_module(module, self.sources)
                except Diagnostic as d:
                    d.message = f"after pass '{prev.name}': {d.message}"
                    raise
            if prev is not None and nxt is not None and self.args.print_between_passes:
                print(f"// IR after {prev.name}:")
                Printer(stream=sys.stdout).print_op(module)
                print("\n")

        self.pipeline = PassPipeline.parse_spec(
            self.available_passes, self.preset_pipeline(), verify
        )

    def preset_pipeline(self) -> str:
        """The -p pipeline, or the one the preset flags expand to."""
        a = self.args
        lowering_flags = a.tile_l1 is not None or a.cores != 8 or a.l2 != "2m"
        uses_presets = (
            a.lora is not None or a.finetune is not None or a.emit != "train" or lowering_flags
        )
        if not uses_presets:
            return a.passes
        if a.passes:
            raise Diagnostic(
                "-p cannot be combined with --lora, --finetune, --emit, --tile-l1, "
                "--cores or --l2; write the whole pipeline with -p instead"
            )
        if a.tile_l1 is not None and a.emit == "train":
            a.emit = "asm"
        if lowering_flags and a.emit == "train":
            raise Diagnostic("--cores and --l2 apply to --emit=linalg or --emit=asm")
        if a.lora is not None and a.finetune is not None:
            raise Diagnostic("choose one of --lora and --finetune")
        steps: list[str] = []
        if a.lora is not None:
            if a.lora < 1:
                raise Diagnostic(f"--lora rank must be >= 1, got {a.lora}")
            steps.append(f"train-lora{{rank={a.lora}}}")
        elif a.finetune is not None:
            if a.finetune.isdigit():
                steps.append(f"train-finetune{{last={a.finetune}}}")
            else:
                steps.append(f'train-finetune{{trainable="{a.finetune}"}}')
        if steps:
            steps.append("train-autodiff")
            steps.append(f"train-sgd{{lr={a.lr}}}")
        if a.emit in ("linalg", "asm"):
            from tdopt.lowering.pipeline import to_linalg, to_riscv

            tile_l1, l2 = _lowering_sizes(a.tile_l1, a.l2)
            if not 1 <= a.cores <= 8:
                raise Diagnostic(f"--cores must be 1 to 8, got {a.cores}")
            steps.append(to_linalg(tile_l1, a.cores, l2))
            if a.emit == "asm":
                steps.append(to_riscv(parallel=a.cores > 1))
                if a.target == "mlir":
                    a.target = "riscv-asm"
        return ",".join(steps)

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

    def apply_passes(self, prog: ModuleOp) -> None:
        try:
            self.pipeline.apply(self.ctx, prog)
        except Diagnostic:
            raise
        except DiagnosticException as e:
            op = getattr(e, "op", None)
            if op is not None:
                raise located(op, _first_line(e), self.sources) from None
            raise Diagnostic(_first_line(e), self.input_name()) from None

    def run(self) -> int:  # type: ignore[override]
        if self.args.input_file is not None and not os.path.exists(self.args.input_file):
            raise Diagnostic(f"no such file: {self.args.input_file}")
        stream = (
            open(self.args.input_file, "rb") if self.args.input_file else sys.stdin.buffer
        )
        with stream:
            whole = stream.read().decode()
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
                self.apply_passes(module)
                if self.args.stats:
                    from tdopt.tools.stats import module_stats

                    for line in module_stats(module):
                        print(line, file=sys.stderr)
                if self.args.output_file:
                    relativize_weights(
                        module, os.path.dirname(os.path.abspath(self.args.output_file))
                    )
                else:
                    relativize_weights(module, os.getcwd())
                out.write(self.output_resulting_program(module))
            except Diagnostic as d:
                if self.args.verify_diagnostics:
                    print(str(d), file=out)
                else:
                    raise
            out.flush()
        if self.args.output_file:
            with open(self.args.output_file, "w") as fh:
                fh.write(out.getvalue())  # type: ignore[attr-defined]
        return 0


def _lowering_sizes(tile_l1: str | None, l2: str) -> tuple[int | None, int]:
    """--tile-l1 and --l2 in bytes, checked against what the cluster has."""
    from tdopt.lowering.pipeline import CODE_BYTES, L1_RANGE, L2_SIZE
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
        lo, hi = L1_RANGE
        if not lo <= l1 <= hi:
            raise Diagnostic(
                f"--tile-l1 {tile_l1}: the cluster's L1 is {lo // 1024} KiB to {hi // 1024} KiB "
                f"(got {l1} bytes)"
            )
    l2_bytes = size("--l2", l2)
    if not CODE_BYTES < l2_bytes <= L2_SIZE:
        raise Diagnostic(
            f"--l2 {l2}: must exceed the {CODE_BYTES // 1024} KiB kept for code and be at "
            f"most the cluster's {L2_SIZE // 1024 // 1024} MiB"
        )
    return l1, l2_bytes


def _pad(text: str, line_offset: int) -> str:
    # keep line numbers of split chunks equal to the whole file's
    return "\n" * line_offset + text


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def _is_project_pass(factory: object) -> bool:
    return getattr(factory, "__module__", "").startswith("tdopt")


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        driver = TdoptMain(args=argv)
        return driver.run()
    except Diagnostic as d:
        return report(d)
    except ArgSpecParseError as e:
        return report(Diagnostic("bad pass pipeline: " + str(e).split(":", 1)[-1].strip()))
    except ValueError as e:  # unknown pass or option, from xDSL's spec parser
        return report(Diagnostic(f"bad pass pipeline: {_first_line(e)}"))
    except DiagnosticException as e:
        return report(Diagnostic(_first_line(e)))
    except OSError as e:
        return report(Diagnostic(f"{e.strerror}: {e.filename}"))
    except Exception as e:  # a compiler bug: say so, briefly
        if os.environ.get("TDOPT_TRACEBACK"):
            raise
        return report(internal_error(e))


if __name__ == "__main__":
    sys.exit(main())
