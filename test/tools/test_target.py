"""The target description (`tdopt.target.CLUSTER`) agrees with the other
places that state the cluster: the linker script's memory regions, the
RTL's core count, the sizes the testbench accepts; and no Python source
outside it states a cluster address or core count of its own (issue 16)."""

from __future__ import annotations

import re
from pathlib import Path

from tdopt.target import CLUSTER

ROOT = Path(__file__).resolve().parents[2]
RUNTIME = ROOT / "runtime"


def _size(text: str) -> int:
    units = {"": 1, "K": 1024, "M": 1024 * 1024}
    m = re.fullmatch(r"(0[xX][0-9a-fA-F]+|\d+)([KM]?)", text)
    assert m, text
    return int(m.group(1), 0) * units[m.group(2)]


def test_memory_regions_match_the_linker_script() -> None:
    regions = {
        name: (int(origin, 0), _size(length))
        for name, origin, length in re.findall(
            r"^\s*(L[123])\s*\([a-z]+\)\s*:\s*ORIGIN\s*=\s*(\w+),\s*LENGTH\s*=\s*(\w+)",
            (RUNTIME / "link.ld").read_text(), re.MULTILINE,
        )
    }
    assert regions == {
        "L1": (CLUSTER.l1_base, CLUSTER.l1_max),
        "L2": (CLUSTER.l2_base, CLUSTER.l2_size),
        "L3": (CLUSTER.l3_base, CLUSTER.l3_size),
    }
    assert CLUSTER.stack_bytes == 1024  # PROVIDE(__tdrt_stack_size = 0x400)


def test_cores_and_l1_sizes_match_the_rtl_and_testbench() -> None:
    rtl = (RUNTIME / "rtl" / "tdc_cluster.sv").read_text()
    assert int(re.search(r"parameter int NUM_CORES\s*=\s*(\d+)", rtl).group(1)) == CLUSTER.cores  # type: ignore[union-attr]
    tb = (RUNTIME / "tb" / "tb_main.cpp").read_text()
    line = next(ln for ln in tb.splitlines() if "sim.mem.l1_size !=" in ln)
    accepted = tuple(int(k) * 1024 for k in re.findall(r"l1_size != (\d+) \* 1024", line))
    assert accepted == CLUSTER.l1_sizes


def test_budgets() -> None:
    # hand-derived: 128 KiB less eight 1 KiB stacks; 2 MiB less 256 KiB of code
    assert CLUSTER.tile_budget(128 * 1024) == 122880
    assert CLUSTER.tensor_l2() == 1835008
    assert CLUSTER.reg("CYCLES_LO") == 0x1020_0200
    assert CLUSTER.check_cores(0) and CLUSTER.check_cores(9) and CLUSTER.check_cores(8) is None
    assert CLUSTER.check_run_l1(96 * 1024) and CLUSTER.check_run_l1(64 * 1024) is None


# a cluster address (0x1000_0000 L1, 0x1020_0000 peripherals, 0x1C00_0000 L2)
# or a literal core count in a default
_STATED = re.compile(r"0x1[0-9a-fA-F]_?[0-9a-fA-F]{2}_?[0-9a-fA-F]{4}\b|\bcores: int = 8\b|MAX_CORES\s*=")


def test_no_cluster_constant_outside_the_target() -> None:
    offenders = []
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT)
        if rel.parts[0] in ("test", ".venv", "examples") or rel == Path("target.py"):
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if _STATED.search(line):
                offenders.append(f"{rel}:{n}: {line.strip()}")
    assert not offenders, "\n".join(offenders)


def test_dma_bandwidths_match_the_testbench() -> None:
    text = (RUNTIME / "tb" / "tb_sim.h").read_text()
    found = dict(re.findall(r"constexpr uint32_t (\w*BYTES_PER_CYCLE) = (\d+);", text))
    assert int(found["BYTES_PER_CYCLE"]) == CLUSTER.dma_bytes_per_cycle
    assert int(found["L3_BYTES_PER_CYCLE"]) == CLUSTER.dma_l3_bytes_per_cycle
