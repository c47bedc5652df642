"""Kernel functions lowered in worker processes (`tdopt -j N`,
lowering/kernel_workers.py): the assembly is byte-identical to a compile in
one process, whatever the number of processes, and a failure in a worker is
reported as it would be without workers."""

from __future__ import annotations

import io
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp
from xdsl.dialects.riscv import print_assembly
from xdsl.passes import ModulePass
from xdsl.rewriter import Rewriter

from tdopt.dialects.rvx import AssembledOp
from tdopt.lowering.kernel_workers import FIRST_KERNEL_LOCAL, WorkerError, apply_pipeline
from tdopt.tools.context import make_context
from tdopt.tools.diagnostics import Diagnostic, parse_module

ROOT = Path(__file__).resolve().parents[2]
BLOCK = ROOT / "examples" / "cct_block" / "encoder_block.mlir"


def tdopt(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tdopt.tools.tdopt", *argv], capture_output=True, text=True, timeout=600
    )


@pytest.mark.parametrize(
    "flags, jobs",
    [
        (("--lora", "--tile-l1=128k"), 3),
        (("--finetune", "2", "--emit", "asm", "--cores", "1"), 2),
    ],
    ids=["lora-tiled-j3", "last2-one-core-j2"],
)
def test_assembly_is_the_same_for_any_number_of_processes(flags: tuple[str, ...], jobs: int) -> None:
    texts = {}
    for j in (1, jobs):
        p = tdopt(str(BLOCK), *flags, "-j", str(j))
        assert p.returncode == 0, p.stderr
        texts[j] = p.stdout
    assert texts[1].count("\n") > 1000  # a whole program, many kernels
    assert texts[jobs] == texts[1]


def test_time_passes_reports_the_processes() -> None:
    p = tdopt(str(BLOCK), "--lora", "--tile-l1=128k", "-j", "2", "--time-passes", "-o", "/dev/null")
    assert p.returncode == 0, p.stderr
    assert f"the passes from {FIRST_KERNEL_LOCAL} on ran in 2 processes" in p.stderr


def test_zero_jobs_is_an_error() -> None:
    p = tdopt(str(BLOCK), "--lora", "--tile-l1=128k", "-j", "0")
    assert p.returncode == 1
    assert "error: -j 0: the number of processes is at least 1" in p.stderr
    assert "Traceback" not in p.stderr


# -- a failure inside a worker -------------------------------------------------

MODULE = """
func.func @a(%x: memref<4xf32>) attributes {cluster.kernel = "relu"} { func.return }
func.func @b(%x: memref<4xf32>) attributes {cluster.kernel = "relu"} { func.return }
func.func @c(%x: memref<4xf32>) attributes {cluster.kernel = "relu"} { func.return }
"""


@dataclass(frozen=True)
class FirstLocal(ModulePass):
    name = FIRST_KERNEL_LOCAL

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        pass


@dataclass(frozen=True)
class RejectB(ModulePass):
    """Fails on function @b, wherever it runs."""

    name = "reject-b"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for f in op.ops:
            if isinstance(f, func.FuncOp) and f.sym_name.data == "b":
                raise Diagnostic("function b is rejected", "m.mlir", 3, 1)


@dataclass(frozen=True)
class ToText(ModulePass):
    """Each function becomes its name as assembly text (what a worker sends
    back must print as assembly)."""

    name = "to-text"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for f in list(op.ops):
            if isinstance(f, func.FuncOp):
                name = f.sym_name.data
                Rewriter.replace_op(f, AssembledOp(name, [("text", f"{name}:\n")]))


@pytest.mark.parametrize("jobs", [1, 2, 3, 4])
def test_kernels_come_back_in_module_order(jobs: int) -> None:
    module = parse_module(make_context(), MODULE, "m.mlir")
    passes = [FirstLocal(), ToText()]
    apply_pipeline(make_context(), module, passes, jobs, frozenset(p.name for p in passes))
    stream = io.StringIO()
    print_assembly(module, stream)
    assert stream.getvalue() == "a:\nb:\nc:\n"


@pytest.mark.parametrize("jobs", [1, 2, 3])
def test_worker_failure_is_the_same_diagnostic(jobs: int) -> None:
    module = parse_module(make_context(), MODULE, "m.mlir")
    seen: list[str] = []

    def callback(prev, _m, nxt) -> None:
        seen.append(nxt.name if nxt is not None else "end")

    passes = [FirstLocal(), RejectB(), ToText()]
    with pytest.raises((Diagnostic, WorkerError)) as info:
        apply_pipeline(make_context(), module, passes, jobs, frozenset(p.name for p in passes),
                       callback=callback, report=lambda: "reported", merge=seen.append)
    error = info.value.error if isinstance(info.value, WorkerError) else info.value
    assert isinstance(error, Diagnostic)
    assert str(error) == "m.mlir:3:1: error: function b is rejected"
    if isinstance(info.value, WorkerError):
        assert jobs > 1 and info.value.report == ("reported", "reported")  # at start, at end
