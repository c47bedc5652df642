"""`tdrun PROGRAM.elf [--cores N] [--l1 SIZE] [--max-cycles N]`: run an ELF on the cluster.

The program's putchar output goes to stdout; the exit code and the counters go
to stderr. The process exits with the program's exit code. Every failure is a
one-line diagnostic on stderr (exit status 1 for run errors, 2 for usage).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from tdopt.runtime.cluster import DEFAULT_MAX_CYCLES, ClusterError, RunResult, parse_size, run_elf


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line instead of usage + message
        raise _UsageError(message)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="tdrun", description="Run a cluster ELF on the Verilator model.")
    p.add_argument("program", help="ELF linked with the tdopt runtime")
    p.add_argument("--cores", type=int, default=8, help="active cores, 1..8 (default 8)")
    p.add_argument("--l1", default="128k", help="L1 size: 64k, 128k or 256k (default 128k)")
    p.add_argument("--max-cycles", type=int, default=DEFAULT_MAX_CYCLES,
                   help=f"stop with an error after this many cycles (default {DEFAULT_MAX_CYCLES})")
    p.add_argument("--per-core", action="store_true", help="also print the per-core counters")
    return p


def format_counters(result_counters: dict[str, int], per_core: bool = False) -> list[str]:
    """Counter lines for humans: totals, DMA traffic, optionally per core."""
    lines = []
    for name, value in result_counters.items():
        is_core = name.startswith("core")
        if (is_core and not per_core) or (name.startswith("dma.") and value == 0):
            continue
        lines.append(f"  {name:<28} {value}")
    return lines


def _report(result: RunResult, per_core: bool) -> None:
    print(f"tdrun: exit code {result.exit_code}", file=sys.stderr)
    print("tdrun: counters (ideal single-cycle instruction fetch):", file=sys.stderr)
    for line in format_counters(result.counters, per_core):
        print(line, file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
        result = run_elf(args.program, cores=args.cores, l1_size=parse_size(args.l1),
                         max_cycles=args.max_cycles)
    except _UsageError as e:
        print(f"tdrun: usage error: {e}", file=sys.stderr)
        return 2
    except ClusterError as e:
        if e.output:
            sys.stdout.write(e.output)
            sys.stdout.flush()
        print(f"tdrun: error: {e}", file=sys.stderr)
        return 1
    except (OSError, ValueError, KeyError, RuntimeError) as e:
        print(f"tdrun: error: {e}", file=sys.stderr)
        return 1
    except Exception as e:  # never a traceback: a one-line diagnostic, even for bugs
        print(f"tdrun: internal error: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    sys.stdout.write(result.output)
    sys.stdout.flush()
    _report(result, args.per_core)
    return result.exit_code


if __name__ == "__main__":
    sys.exit(main())
