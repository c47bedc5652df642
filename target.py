"""The cluster tdopt compiles for, as one frozen description (like MLIR's
DLTI target description): every size, address and count a pass, a lowering,
the runtime or a tool needs about the machine comes from `CLUSTER`, not from
a constant of its own.

Addresses and register offsets are read from runtime/include/tdrt_regs.h
(shared with the C runtime and the testbench), the per-core stack from the
linker script; the rest are properties of the RTL (core count, the L1 sizes
its testbench offers) and the compiler's own budgets (the L2 kept for code).

    from tdopt.target import CLUSTER
    CLUSTER.cores, CLUSTER.tile_budget(128 * 1024), CLUSTER.reg("CYCLES_LO")
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

from tdopt.runtime.regs import REGS

_LINK_LD = Path(__file__).parent / "runtime" / "link.ld"


def _stack_bytes(link_ld: Path = _LINK_LD) -> int:
    """The per-core stack the linker script provides (`__tdrt_stack_size`)."""
    m = re.search(r"PROVIDE\(\s*__tdrt_stack_size\s*=\s*(0[xX][0-9a-fA-F]+|\d+)\s*\)", link_ld.read_text())
    if m is None:
        raise RuntimeError(f"{link_ld}: no PROVIDE(__tdrt_stack_size = ...)")
    return int(m.group(1), 0)


def _short_names(regs: Mapping[str, int]) -> Mapping[str, int]:
    """tdrt_regs.h's names without the TDRT_ / TDRT_REG_ prefix."""
    out: dict[str, int] = {}
    for name, value in regs.items():
        short = name.removeprefix("TDRT_").removeprefix("REG_")
        if short in out:
            raise RuntimeError(f"tdrt_regs.h: {name} and another define both shorten to {short}")
        out[short] = value
    return MappingProxyType(out)


def _kib(n: int) -> str:
    return f"{n // 1024} KiB"


@dataclass(frozen=True)
class ClusterTarget:
    """The PULP-style cluster: `cores` RV32IMF cores (CV32E40P) sharing a
    banked L1 scratchpad, an L2 holding code and data, an L3 reached only by
    the DMA, and memory-mapped control and counter registers."""

    # cores of the RTL (a run may activate fewer: --cores)
    cores: int = 8
    l1_base: int = REGS["TDRT_L1_BASE"]
    l1_max: int = REGS["TDRT_L1_MAX_SIZE"]
    # the active L1 sizes the testbench accepts (runtime/tb/tb_main.cpp --l1)
    l1_sizes: tuple[int, ...] = (64 * 1024, 128 * 1024, 256 * 1024)
    # the smallest L1 a tiled build may target (a compile-only design point;
    # running needs one of `l1_sizes`)
    l1_min: int = 16 * 1024
    l1_banks: int = REGS["TDRT_L1_BANKS"]
    l2_base: int = REGS["TDRT_L2_BASE"]
    l2_size: int = REGS["TDRT_L2_SIZE"]
    l3_base: int = REGS["TDRT_L3_BASE"]
    l3_size: int = REGS["TDRT_L3_SIZE"]
    # L2 kept for code, read-only data and the runtime; the rest holds tensors
    code_bytes: int = 256 * 1024
    # per-core stack at the top of the active L1 (runtime/link.ld)
    stack_bytes: int = field(default_factory=_stack_bytes)
    periph_base: int = REGS["TDRT_PERIPH_BASE"]
    # kernel arguments travel in a0..a7
    arg_regs: int = 8
    # RISC-V machine hart id CSR (the core's index)
    csr_mhartid: int = 0xF14
    # bytes the L2 <-> L1 DMA port moves per cycle (64-bit)
    dma_bytes_per_cycle: int = 8
    # buffers and tiles start on the DMA port's width (plan-memory, tier-tile-l1)
    dma_align: int = 8
    # bytes per cycle of a DMA transfer with L3 on either side (the
    # testbench's HyperRAM-like L3: L3_BYTES_PER_CYCLE in runtime/tb/tb_sim.h,
    # docs/cluster.md)
    dma_l3_bytes_per_cycle: int = 2
    # the clock TrainDeeploy reports throughput at (the paper's Siracusa-class
    # cluster); the RTL counts cycles, images/s are cycles at this clock
    clock_hz: int = 360_000_000
    # tdrt_regs.h, by name without the TDRT_ / TDRT_REG_ prefix
    regs: Mapping[str, int] = field(default_factory=lambda: _short_names(REGS))

    def reg(self, name: str) -> int:
        """Address of the peripheral register TDRT_REG_`name`."""
        return self.periph_base + self.regs[name]

    def section(self, tier: str) -> str:
        """The linker section that places data in `tier` ("L1", "L2",
        "L3"): `.l1`, `.l2`, `.l3` of runtime/link.ld."""
        return "." + tier.lower()

    def tile_budget(self, l1_size: int) -> int:
        """Bytes of an L1 of `l1_size` tiles may use: all but the stacks of
        every core the cluster can run."""
        return l1_size - self.cores * self.stack_bytes

    def tensor_l2(self, l2: int | None = None) -> int:
        """Bytes of an L2 of `l2` (default: all of it) left for tensors."""
        return (self.l2_size if l2 is None else l2) - self.code_bytes

    def check_cores(self, cores: int) -> str | None:
        """Why `cores` active cores cannot run (None: they can)."""
        if not 1 <= cores <= self.cores:
            return f"the cluster has 1 to {self.cores} cores (got {cores})"
        return None

    def check_tile_l1(self, l1: int) -> str | None:
        """Why a tiled build cannot target an L1 of `l1` bytes (None: it can)."""
        if not self.l1_min <= l1 <= self.l1_max:
            return f"the cluster's L1 is {_kib(self.l1_min)} to {_kib(self.l1_max)} (got {l1} bytes)"
        return None

    def check_run_l1(self, l1: int) -> str | None:
        """Why the RTL cannot run with an L1 of `l1` bytes (None: it can)."""
        if l1 not in self.l1_sizes:
            sizes = ", ".join(f"{s // 1024}k" for s in self.l1_sizes)
            return f"the cluster's L1 is {sizes} (or their byte counts)"
        return None

    def check_l2(self, l2: int) -> str | None:
        """Why a build cannot use an L2 of `l2` bytes (None: it can)."""
        if not self.code_bytes < l2 <= self.l2_size:
            return (
                f"must exceed the {_kib(self.code_bytes)} kept for code and be at most the "
                f"cluster's {self.l2_size // 1024 // 1024} MiB"
            )
        return None


CLUSTER = ClusterTarget()
