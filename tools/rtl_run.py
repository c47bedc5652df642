"""Compile a train module and run it on the cluster RTL: the `tdrun --rtl`
path. Inputs are written into the program's input symbols, results read back
from its output symbols, named and shaped like the reference interpreter's."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp, TensorType

from tdopt.interpreter.reference import find_function, function_inputs, result_names
from tdopt.lowering.pipeline import compile_to_asm


@dataclass
class RtlResult:
    results: dict[str, np.ndarray]
    counters: dict[str, int]
    output: str
    asm_path: str
    elf_path: str
    flops: int  # 2 x MACs of every conv / matmul / gemm (forward and backward)

    @property
    def flop_per_cycle(self) -> float:
        return self.flops / max(1, self.counters.get("cycles", 0))


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
) -> RtlResult:
    """`tile_l1`: keep the tensors in L2 and run every kernel tile by tile
    through the L1 (`l1` bytes) with double-buffered DMA."""
    from tdopt.runtime.cluster import run_elf
    from tdopt.runtime.toolchain import assemble_and_link

    f = find_function(module)
    function_inputs(f, inputs)  # missing inputs and wrong shapes fail here
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
    asm, symbols = compile_to_asm(ctx, module, parallel=parallel, tile_l1=tile_bytes)
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
    kwargs = {} if max_cycles is None else {"max_cycles": max_cycles}
    run = run_elf(
        elf,
        cores=cores,
        l1_size=l1,
        read_symbols=[sym for sym, _ in reads],
        write_symbols=writes,
        **kwargs,
    )
    results = {}
    for sym, tensor in reads:
        values = np.frombuffer(run.symbols[sym], dtype=np.float32)
        results[tensor] = values.reshape(shapes.get(tensor, values.shape)).copy()
    return RtlResult(results, run.counters, run.output, asm_path, str(elf), total_flops)
