"""Host-side API of the simulated cluster: run an ELF on the Verilator model.

    elf = assemble_and_link(["prog.c"])
    result = run_elf(elf, cores=8, read_symbols=["out"], write_symbols={"inp": array})
    result.exit_code, result.output, result.counters["cycles"], result.symbols["out"]
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tdopt.runtime.elf_image import ElfImage, read_elf
from tdopt.runtime import model as _model
from tdopt.runtime.model import Model, ModelBuildError
from tdopt.runtime.toolchain import assemble_and_link
from tdopt.target import CLUSTER

__all__ = [
    "ClusterError", "RunResult", "assemble_and_link", "build_model", "model_cores", "parse_size",
    "run_elf",
]


def model_cores(cores: int) -> int:
    """The cores of the model a run on `cores` cores uses by default: a
    one-core run has a model of its own, every other run the full cluster's.
    Verilator evaluates the combinational logic of an idle core every cycle
    (its inputs come from the interconnect's flops), so the 8-core model
    simulates one active core 2-3x slower than a one-core model does; the
    two agree cycle for cycle (test_cluster.py)."""
    return 1 if cores == 1 else CLUSTER.cores


def build_model(num_cores: int = CLUSTER.cores, jobs: int | None = None, verbose: bool = False) -> Model:
    """The simulator for `num_cores` cores (runtime/model.py), built once and
    cached; its profile-guided C++ build trains on `runtime/tb/pgo_train.c`
    run through `run_elf`."""
    return _model.build_model(num_cores, jobs, verbose, train=_pgo_train)


def _pgo_train(binary: Path, num_cores: int, work: Path) -> None:
    """The training runs of the profile-guided build (model._PGO_RUNS); a
    run may stop at its cycle limit, the profile is written either way."""
    elf = assemble_and_link([_model._PGO_TRAINING], work / "pgo_train.elf")
    for cores, cycles in _model._PGO_RUNS:
        try:
            run_elf(elf, cores=min(cores, num_cores), model=Model(binary, num_cores, 0.0),
                    max_cycles=cycles)
        except ClusterError as e:
            if e.kind != "timeout":
                raise ModelBuildError(f"training run of the profile-guided build failed: {e}") from e


DEFAULT_MAX_CYCLES = 20_000_000
# heartbeat period of runs with a progress callback (a few per second on 8 cores)
PROGRESS_CYCLES = 20_000


@dataclass
class RunResult:
    """Outcome of a run that reached end-of-computation."""

    exit_code: int
    output: str  # bytes written to the putchar register
    counters: dict[str, int]  # see docs/cluster.md for the names
    symbols: dict[str, bytes] = field(default_factory=dict)
    sim_seconds: float = 0.0

    @property
    def cycles(self) -> int:
        return self.counters["cycles"]


class ClusterError(RuntimeError):
    """The run stopped on an error (bus error, trap, DMA hazard, timeout).

    `kind` is one of "bus", "trap", "hazard", "dma", "timeout"; `core`, `pc`,
    `addr` and `cycle` are set when known. `output` and `counters` hold what the
    run produced up to the error.
    """

    def __init__(self, message: str, *, kind: str, cycle: int | None = None,
                 core: int | None = None, pc: int | None = None, addr: int | None = None,
                 output: str = "", counters: dict[str, int] | None = None) -> None:
        super().__init__(message)
        self.kind, self.cycle, self.core, self.pc, self.addr = kind, cycle, core, pc, addr
        self.output = output
        self.counters = counters or {}


def parse_size(text: str | int) -> int:
    """'64k' / '128K' / '256kib' / '131072' -> bytes."""
    if isinstance(text, int):
        return text
    t = text.strip().lower().removesuffix("ib").removesuffix("b")
    scale = 1
    if t.endswith("k"):
        scale, t = 1024, t[:-1]
    elif t.endswith("m"):
        scale, t = 1024 * 1024, t[:-1]
    try:
        return int(t, 0) * scale
    except ValueError:
        raise ValueError(f"not a size: {text!r}") from None


def _as_bytes(value: bytes | bytearray | np.ndarray | np.generic) -> bytes:
    if isinstance(value, (np.ndarray, np.generic)):  # arrays and numpy scalars: raw data
        return np.ascontiguousarray(value).tobytes()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    raise TypeError(f"symbol data must be bytes or a numpy array/scalar, not {type(value).__name__}")


def run_elf(
    elf_path: str | Path,
    cores: int = CLUSTER.cores,
    l1_size: int | str = 128 * 1024,
    max_cycles: int = DEFAULT_MAX_CYCLES,
    read_symbols: Sequence[str] = (),
    write_symbols: Mapping[str, bytes | bytearray | np.ndarray | np.generic] | None = None,
    model: Model | None = None,
    progress: Callable[[int], None] | None = None,
) -> RunResult:
    """Run a program on the cluster until end-of-computation.

    `write_symbols` data is written over the named symbols after the ELF is
    loaded (at most the symbol's size); `read_symbols` come back as bytes in
    `RunResult.symbols`. `progress` is called with the cycles simulated so
    far every PROGRESS_CYCLES cycles while the run goes on. Raises
    ClusterError on a bus error, trap, DMA hazard or when `max_cycles` is
    reached.
    """
    l1 = parse_size(l1_size)
    why = CLUSTER.check_run_l1(l1)
    if why is not None:
        raise ValueError(f"L1 size {l1_size!r}: {why}")
    why = CLUSTER.check_cores(cores)
    if why is not None:
        raise ValueError(f"--cores {cores}: {why}")
    image = read_elf(elf_path)
    _check_l1_fits(image, l1, cores)
    model = model or build_model(model_cores(cores))
    if cores > model.num_cores:
        raise ValueError(f"the model was built with {model.num_cores} cores, not {cores}")

    with tempfile.TemporaryDirectory(prefix="tdrun-") as tmp:
        work = Path(tmp)
        cmd = [str(model.binary), "--entry", hex(image.entry), "--cores", str(cores),
               "--l1", str(l1), "--max-cycles", str(max_cycles),
               "--result", str(work / "result.json")]
        for i, (addr, data) in enumerate(image.segments):
            (work / f"seg{i}.bin").write_bytes(data)
            cmd += ["--load", hex(addr), str(work / f"seg{i}.bin")]
        for name, value in (write_symbols or {}).items():
            sym = image.symbol(name)
            data = _as_bytes(value)
            if len(data) > sym.size:
                raise ValueError(f"{len(data)} bytes do not fit in symbol {name!r} ({sym.size} bytes)")
            (work / f"in-{name}.bin").write_bytes(data)
            cmd += ["--load", hex(sym.addr), str(work / f"in-{name}.bin")]
        for name in read_symbols:
            sym = image.symbol(name)
            cmd += ["--dump", hex(sym.addr), str(sym.size), str(work / f"out-{name}.bin")]

        if progress is None:
            proc = subprocess.run(cmd, capture_output=True, text=True)
            returncode, stderr = proc.returncode, proc.stderr
        else:
            returncode, stderr = _run_with_heartbeat(cmd, work, progress)
        if returncode != 0:
            raise ClusterError(f"simulator failed: {stderr.strip()}", kind="simulator")
        result = json.loads((work / "result.json").read_text())
        counters = {k: v for k, v in result["counters"].items() if k != "sim.seconds"}
        seconds = float(result["counters"]["sim.seconds"])
        if result["status"] == "error":
            err = result["error"]
            raise ClusterError(err["message"], kind=err["kind"], cycle=err["cycle"],
                               core=err["core"], pc=err.get("pc"), addr=err.get("addr"),
                               output=result["output"], counters=counters)
        if result["status"] == "timeout":
            raise ClusterError(f"no end of computation after {max_cycles} cycles "
                               "(--max-cycles raises the limit)",
                               kind="timeout", cycle=counters["cycles"],
                               output=result["output"], counters=counters)
        symbols = {name: (work / f"out-{name}.bin").read_bytes() for name in read_symbols}
    return RunResult(result["exit_code"], result["output"], counters, symbols, seconds)


def _run_with_heartbeat(
    cmd: list[str], work: Path, progress: Callable[[int], None]
) -> tuple[int, str]:
    """Run the simulator with heartbeats on its stdout, passing each cycle
    count to `progress`; returns its exit status and stderr."""
    with open(work / "stderr.txt", "w+") as err:
        with subprocess.Popen(
            [*cmd, "--progress", str(PROGRESS_CYCLES)], stdout=subprocess.PIPE,
            stderr=err, text=True,
        ) as proc:
            assert proc.stdout is not None
            for line in proc.stdout:
                word, _, value = line.partition(" ")
                if word == "cycles" and value.strip().isdigit():
                    progress(int(value))
            returncode = proc.wait()
        err.seek(0)
        return returncode, err.read()


def _check_l1_fits(image: ElfImage, l1: int, cores: int) -> None:
    """The .l1 data and the per-core stacks (top of L1) must fit in the active L1."""
    end = image.symbols.get("__l1_end")
    stack = image.symbols.get("__tdrt_stack_size")
    if end is None or stack is None:
        return
    used = end.addr - CLUSTER.l1_base
    if used + cores * stack.addr > l1:
        raise ValueError(
            f"program needs {used} bytes of L1 data + {cores} x {stack.addr} bytes of stack,"
            f" more than the {l1 // 1024} KiB L1"
        )


if __name__ == "__main__":  # python -m tdopt.runtime.cluster: build the models, report the times
    import sys

    for n in sorted({model_cores(1), model_cores(CLUSTER.cores)}):
        m = build_model(n, verbose="-v" in sys.argv)
        print(f"{m.binary} (built in {m.build_seconds:.1f} s)" if m.build_seconds else f"{m.binary} (cached)")
