"""`tdimport`: an ONNX model (for example a PyTorch export) into a train module.

    tdimport MODEL.onnx -o MODEL.mlir [--trainable NAMES|@FILE|GLOB]
             [--loss cross-entropy|mse --label NAME] [--inline-threshold BYTES]
             [--batch N] [--dim NAME=N ...]

Writes MODEL.mlir and, beside it, MODEL.npz with the parameters' values
(the module attribute `train.weights` names it). ONNX Runtime training
graphs (forward + loss + gradient ops + SGD nodes) import as forward + loss,
with the tensors the SGD nodes update marked trainable. An export with a
dynamic batch (dynamic_shapes) imports at the batch `--batch N` gives: N
samples per step, the loss their mean. Every failure is a single
`error: ...` line and a non-zero exit.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

import numpy as np

from tdopt.frontend.onnx import LOSSES, ImportOptions, import_onnx
from tdopt.tools.diagnostics import Diagnostic, check_output_path, run_tool, write_output


class _Parser(argparse.ArgumentParser):
    # argparse would print the usage and exit 2; a bad command line is a
    # diagnostic like any other
    def error(self, message: str):  # type: ignore[override]
        raise Diagnostic(f"{message} (see tdimport --help)")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="tdimport",
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n".join(__doc__.splitlines()[2:]),
    )
    p.add_argument("model", help="the ONNX model (.onnx)")
    p.add_argument("-o", "--output", help="the .mlir to write (default: stdout, "
                   "possible only when every parameter is inline)")
    p.add_argument("--trainable", metavar="NAMES|@FILE|GLOB",
                   help="parameters to train: comma-separated names or globs, "
                   "@FILE reads them from a file; the others are frozen (for a "
                   "training graph this replaces the tensors its SGD nodes update)")
    p.add_argument("--loss", choices=LOSSES, help="append this loss on the graph output")
    p.add_argument("--label", metavar="NAME", help="name of the label input the loss adds")
    p.add_argument("--inline-threshold", metavar="BYTES", type=int, default=64,
                   help="parameters smaller than this are inline in the .mlir (default 64)")
    p.add_argument("--batch", metavar="N", type=int,
                   help="samples per step: the size of the inputs' symbolic leading dimension "
                   "(an export with dynamic_shapes={'x': {0: torch.export.Dim('batch')}})")
    p.add_argument("--dim", metavar="NAME=N", action="append", default=[], type=_dim,
                   help="the size of the symbolic dimension NAME (repeatable)")
    return p


def _dim(text: str) -> tuple[str, int]:
    name, eq, value = text.partition("=")
    if not eq or not name or not value.strip().lstrip("-").isdigit():
        raise argparse.ArgumentTypeError(f"'{text}' is not NAME=N (a symbol and a whole number)")
    return name, int(value)


def weights_path(mlir_path: str) -> str:
    """MODEL.mlir -> MODEL.npz, beside it."""
    root, _ = os.path.splitext(mlir_path)
    return root + ".npz"


def check_output_paths(model: str, output: str, npz: str) -> None:
    """Nothing the import writes may replace the model or each other."""
    if not output.endswith(".mlir"):
        raise Diagnostic(f"-o {output}: the output is the .mlir text (the weights go beside "
                         "it, NAME.npz); give a path ending in .mlir")
    if os.path.isdir(output):
        raise Diagnostic(f"-o {output}: is a folder; give the .mlir file to write")
    folder = os.path.dirname(os.path.abspath(output))
    if not os.path.isdir(folder):
        raise Diagnostic(f"-o {output}: the folder {folder} does not exist")
    model_real = os.path.realpath(model)
    for what, path in (("the .mlir", output), ("the weights", npz)):
        if os.path.realpath(path) == model_real:
            raise Diagnostic(f"-o {output}: {what} would overwrite the model {model}")


def run(argv: Sequence[str]) -> int:
    args = _parser().parse_args(list(argv))
    npz = weights_path(args.output) if args.output else None
    if args.output is not None:
        check_output_paths(args.model, args.output, npz)  # type: ignore[arg-type]
        if args.trainable and args.trainable.startswith("@"):
            for path in (args.output, npz):
                check_output_path(path, [args.trainable[1:]])  # type: ignore[arg-type]
    opts = ImportOptions(
        trainable=args.trainable,
        loss=args.loss,
        label=args.label,
        inline_threshold=args.inline_threshold,
        weights_file=os.path.basename(npz) if npz else "weights.npz",
        batch=args.batch,
        dims=dict(args.dim),
    )
    result = import_onnx(args.model, opts)
    text = str(result.module) + "\n"
    if args.output is None:
        if result.weights:
            raise Diagnostic(
                f"-o is needed: {len(result.weights)} parameter(s) go to a .npz "
                "beside the .mlir (or raise --inline-threshold to inline them)"
            )
        sys.stdout.write(text)
        return 0
    assert npz is not None
    # each file appears whole or not at all (temporary file + rename)
    if result.weights:
        write_output(npz, lambda fh: np.savez(fh, **result.weights))  # type: ignore[arg-type]
    write_output(args.output, lambda fh: fh.write(text.encode("utf-8")))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return run_tool(lambda: run(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    sys.exit(main())
