"""`tdrun`: run a train module (reference interpreter) or a linked program
(cluster RTL).

    tdrun MODEL.mlir --inputs IN.npz --reference [-o OUT.npz] [--function F]
    tdrun PROGRAM.elf [--cores N] [--l1 SIZE] [--max-cycles N]
"""

from __future__ import annotations

import argparse
import os
import sys
import zipfile
from collections.abc import Sequence

import numpy as np

from tdopt.target import CLUSTER
from tdopt.dialects.weights import WeightsError, absolutize_weights, load_weights
from tdopt.interpreter.reference import InterpretationFailure, run_function
from tdopt.tools.context import make_context
from tdopt.tools.diagnostics import (
    Diagnostic,
    check_output_path,
    check_readable_file,
    located,
    parse_module,
    read_source,
    run_tool,
    verify_module,
    write_output,
)


def _arg_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="tdrun", description=__doc__.splitlines()[0])
    p.add_argument("program", help="a train module (.mlir) or a linked program (.elf)")
    p.add_argument("--inputs", help=".npz with one array per function argument (by name)")
    p.add_argument(
        "--reference",
        action="store_true",
        help="run with the numpy reference interpreter (the numeric oracle)",
    )
    p.add_argument(
        "--rtl",
        action="store_true",
        help="compile to RISC-V and run on the cluster RTL (Verilator)",
    )
    p.add_argument("--cores", type=int, help="cluster cores for --rtl (1..8, default 1)")
    p.add_argument("--l1", help="L1 size for --rtl: 64k, 128k (default) or 256k")
    p.add_argument(
        "--tile-l1",
        metavar="SIZE",
        help="with --rtl: keep every tensor in L2 and run each kernel tile by tile "
        "through an L1 of SIZE (64k, 128k, 256k or bytes) with double-buffered DMA; "
        "sets the RTL's L1 to SIZE",
    )
    p.add_argument(
        "--l2",
        metavar="SIZE",
        help="with --rtl --tile-l1: the L2 the program may use (default 2m); the least "
        "used tensors beyond it live in L3",
    )
    p.add_argument(
        "--max-cycles", type=int,
        help="stop --rtl runs after this many cycles (default: 4 x the compiler's static "
        "estimate + 1 M, at least 20 M)",
    )
    p.add_argument(
        "-j", "--jobs", type=int, metavar="N",
        help="with --rtl: lower the kernels to assembly in N processes (default: the "
        "machine's cores; the program is the same for every N)",
    )
    p.add_argument("--keep", help="with --rtl: keep the assembly and ELF in this folder")
    p.add_argument("-o", "--output", help="write every result (and `loss`) to this .npz")
    p.add_argument(
        "--expect",
        metavar="REF.npz",
        help="compare the results with the arrays of the same name in REF.npz "
        "(e.g. a --reference run or Deeploy's outputs.npz); exit 1 on a mismatch",
    )
    p.add_argument("--atol", type=float, default=1e-4, help="absolute tolerance of --expect")
    p.add_argument("--rtol", type=float, default=1e-4, help="relative tolerance of --expect")
    p.add_argument("--function", help="the function to run (default: the only one)")
    return p


def run_mlir(args: argparse.Namespace) -> int:
    if args.reference == args.rtl:
        raise Diagnostic(
            "choose how to run the module: --reference (numpy interpreter) or "
            "--rtl (compiled, on the cluster RTL)"
        )
    check_run_flags(args)
    path = args.program
    # every file mistake is found before anything is compiled or run
    text = read_source(path, "program")
    inputs = read_npz(args.inputs, "--inputs") if args.inputs else {}
    expected = read_npz(args.expect, "--expect") if args.expect else None
    if args.output:
        if not args.output.endswith(".npz"):
            raise Diagnostic(f"-o {args.output}: the results are written as an .npz; "
                             "give a path ending in .npz")
        check_output_path(args.output, [path, args.inputs or "", args.expect or ""])
    ctx = make_context()
    module = parse_module(ctx, text, path)
    verify_module(module, {path: text})
    try:
        weights = load_weights(module, os.path.dirname(os.path.abspath(path)))
        absolutize_weights(module, os.path.dirname(os.path.abspath(path)))
    except WeightsError as e:
        if e.op is not None:
            raise located(e.op, e.message, {path: text}) from None
        raise Diagnostic(e.message, path) from None
    if expected is not None:
        check_expect_names(module, expected, args)
    warn_non_finite(inputs, f"--inputs {args.inputs}")
    weights_file_attr = module.attributes.get("train.weights")
    warn_non_finite(weights, f"weights file {getattr(weights_file_attr, 'data', '')}", "parameter")
    if args.output:
        weights_file = module.attributes.get("train.weights")
        if weights_file is not None:
            check_output_path(args.output, [weights_file.data])  # type: ignore[attr-defined]
    counters: dict[str, int] = {}
    try:
        if args.rtl:
            results, counters = _run_rtl(ctx, module, inputs, args)
        else:
            results = run_function(module, inputs, weights, args.function)
    except InterpretationFailure as e:
        raise Diagnostic(str(e), path) from None
    if args.output:
        extra = {f"rtl.{k}": np.asarray(v) for k, v in counters.items()}
        write_output(args.output, lambda fh: np.savez(fh, **results, **extra))
    warn_non_finite(results, "the run", "result")
    for name, value in results.items():
        if value.ndim == 0:
            print(f"{name} = {value.item():.8g}")
        elif value.size <= 16:
            flat = " ".join(f"{v:.6g}" for v in value.ravel())
            print(f"{name}: {value.dtype}{list(value.shape)} = [{flat}]")
        else:
            print(f"{name}: {value.dtype}{list(value.shape)}")
    if counters:
        print(f"cycles: {counters['cycles']}  (ideal single-cycle instruction fetch)")
        flops = counters.get("flops", 0)
        print(
            f"FLOPs: {flops}  FLOP/cycle: {flops / max(1, counters['cycles']):.3f}  "
            f"(utilisation {flops / max(1, counters['cycles']) / (2 * CLUSTER.cores):.1%} "
            f"of the {CLUSTER.cores}-core peak)"
        )
    if expected is not None:
        return compare(results, expected, args)
    return 0


# flags that only the RTL run reads: an error under --reference, where they
# would be silently ignored
RTL_ONLY_FLAGS = ("cores", "l1", "tile_l1", "l2", "max_cycles", "keep", "jobs")


def check_run_flags(args: argparse.Namespace) -> None:
    """Flag combinations and values, before anything is read or compiled;
    fills in the RTL defaults."""
    from tdopt.runtime.cluster import parse_size

    if args.reference:
        given = [f"--{f.replace('_', '-')}" for f in RTL_ONLY_FLAGS if getattr(args, f) is not None]
        if given:
            raise Diagnostic(
                f"{' '.join(given)} {'has' if len(given) == 1 else 'have'} no effect with "
                "--reference (the numpy interpreter); they configure the --rtl run"
            )
        return
    if args.cores is None:
        args.cores = 1
    why = CLUSTER.check_cores(args.cores)
    if why is not None:
        raise Diagnostic(f"--cores {args.cores}: {why}")
    if args.max_cycles is not None and args.max_cycles <= 0:
        raise Diagnostic(f"--max-cycles {args.max_cycles}: must be a positive cycle count")
    if args.jobs is not None and args.jobs < 1:
        raise Diagnostic(f"-j {args.jobs}: the number of processes is at least 1")
    if args.jobs is None:
        from tdopt.lowering.kernel_workers import machine_cores

        args.jobs = machine_cores()
    for flag, value in (("--l1", args.l1), ("--tile-l1", args.tile_l1)):
        if value is None:
            continue
        try:
            size = parse_size(value)
        except ValueError:
            size = None
        why = CLUSTER.check_run_l1(size if size is not None else -1)
        if why is not None:
            raise Diagnostic(f"{flag} {value}: {why}")
    if args.tile_l1 and args.l1 is not None and parse_size(args.l1) != parse_size(args.tile_l1):
        raise Diagnostic(f"--tile-l1 {args.tile_l1} sets the L1 size; drop --l1 {args.l1}")
    if args.l1 is None:
        args.l1 = "128k"
    if args.l2 is None:
        args.l2 = "2m"


def warn_non_finite(arrays: dict[str, np.ndarray], where: str, what: str = "array") -> None:
    """A warning on stderr for every float array holding NaN or Inf: the
    step still runs (it is numerically what was asked), but a NaN loss is
    almost always a bad input, not a result."""
    for name, value in arrays.items():
        if value.dtype.kind != "f":
            continue
        bad = int(value.size - np.count_nonzero(np.isfinite(value)))
        if not bad:
            continue
        nans = int(np.count_nonzero(np.isnan(value)))
        kinds = ", ".join(k for k, n in (("NaN", nans), ("Inf", bad - nans)) if n)
        if value.ndim == 0:
            detail = f"is {value.item()}"
        else:
            detail = f"has {bad} non-finite value{'s' if bad > 1 else ''} ({kinds}) of {value.size}"
        print(f"warning: {where}: {what} '{name}' {detail}", file=sys.stderr)


def check_expect_names(module, expected: dict[str, np.ndarray], args: argparse.Namespace) -> None:
    """Before the run: --expect must name at least one result, or the
    comparison would find nothing to compare (and -o be written for
    nothing)."""
    from tdopt.interpreter.reference import find_function, result_names

    try:
        names = result_names(find_function(module, args.function))
    except InterpretationFailure as e:
        raise Diagnostic(str(e), args.program) from None
    if not any(k in names for k in expected):
        raise Diagnostic(
            f"--expect {args.expect}: shares no array name with the results "
            f"({', '.join(names)}); it holds {', '.join(expected) or 'no array'}"
        )


def compare(results: dict[str, np.ndarray], expected: dict[str, np.ndarray], args) -> int:
    common = [k for k in expected if k in results]
    if not common:
        raise Diagnostic(
            f"{args.expect} shares no array name with the results "
            f"({', '.join(results)})"
        )
    worst, bad = 0.0, []
    for k in common:
        want = expected[k].astype(np.float64)
        if want.size != results[k].size:
            bad.append(f"{k} (shape {list(results[k].shape)}, expected {list(want.shape)})")
            continue
        got = results[k].astype(np.float64).reshape(want.shape)
        diff = float(np.abs(got - want).max()) if want.size else 0.0
        worst = max(worst, diff)
        if not np.allclose(got, want, rtol=args.rtol, atol=args.atol):
            bad.append(f"{k} (max |diff| {diff:.3g})")
    if bad:
        print(f"MISMATCH against {args.expect}: " + ", ".join(bad))
        return 1
    print(f"matches {args.expect}: {len(common)} arrays, max |diff| {worst:.3g}")
    return 0


def _run_rtl(ctx, module, inputs, args) -> tuple[dict[str, np.ndarray], dict[str, int]]:
    from tdopt.lowering.train_to_linalg import LoweringError
    from tdopt.runtime.cluster import ClusterError
    from tdopt.runtime.toolchain import ToolchainError
    from tdopt.tools.rtl_run import run_on_rtl
    from xdsl.utils.exceptions import PassFailedException

    if args.keep:
        os.makedirs(args.keep, exist_ok=True)
    try:
        run = run_on_rtl(
            ctx, module, inputs, cores=args.cores, l1=args.tile_l1 or args.l1,
            max_cycles=args.max_cycles, workdir=args.keep, tile_l1=bool(args.tile_l1),
            l2=args.l2, progress=f"RTL, {args.cores} core{'s' if args.cores > 1 else ''}",
            jobs=args.jobs,
        )
    except LoweringError as e:
        if e.op is not None:
            raise located(e.op, str(e), {}) from None
        raise Diagnostic(str(e)) from None
    except (ClusterError, ToolchainError, ValueError, PassFailedException) as e:
        raise Diagnostic(str(e).splitlines()[0]) from None
    if run.output:
        print(run.output, end="" if run.output.endswith("\n") else "\n")
    return run.results, {**run.counters, "flops": run.flops}


def read_npz(path: str, flag: str = "--inputs") -> dict[str, np.ndarray]:
    """The arrays of an .npz named by `flag`, all numeric; anything else (a
    folder, a device, a .npy, a text file, a pickle, an array of strings)
    is a diagnostic."""
    check_readable_file(path, f"{flag} .npz")
    with open(path, "rb") as fh:
        magic = fh.read(6)
    if magic == NPY_MAGIC:
        try:
            what = f"one array of shape {list(np.load(path, mmap_mode='r', allow_pickle=False).shape)}"
        except (OSError, ValueError, EOFError) as e:  # a truncated or damaged .npy
            what = f"damaged: {str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__}"
        raise Diagnostic(
            f"{flag} {path}: a .npy file ({what}); give an .npz "
            "with one array per name (numpy.savez)"
        )
    if not magic.startswith(ZIP_MAGIC):
        what = "empty" if not magic else "not an .npz archive"
        raise Diagnostic(f"{flag} {path}: {what} (expected a zip of named arrays, "
                         "as numpy.savez writes)")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise Diagnostic(f"{flag} {path}: a damaged or non-numpy .npz archive ({first})") from None
    for k, v in arrays.items():
        if v.dtype.kind not in "biuf":
            raise Diagnostic(f"{flag} {path}: array '{k}' has dtype {v.dtype}; "
                             "expected numbers (bool, int or float)")
    return arrays


NPY_MAGIC = b"\x93NUMPY"
ZIP_MAGIC = b"PK\x03\x04"


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0].endswith(".elf"):
        from tdopt.runtime.cli import main as run_elf_main

        return run_elf_main(argv)
    args = _arg_parser().parse_args(argv)
    return run_tool(lambda: run_mlir(args))


if __name__ == "__main__":
    sys.exit(main())
