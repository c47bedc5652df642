"""The training program of the profile-guided model build (runtime/tb/pgo_train.c)
must run cleanly on the cluster: a DMA hazard or trap in it would fail every
fresh model build."""

from __future__ import annotations

from pathlib import Path

from tdopt.runtime import model as model_mod
from tdopt.runtime.cluster import run_elf
from tdopt.runtime.model import Model
from tdopt.runtime.toolchain import assemble_and_link


def test_training_program_runs_on_eight_cores(model: Model, tmp_path: Path) -> None:
    elf = assemble_and_link([model_mod._PGO_TRAINING], tmp_path / "pgo_train.elf")
    r = run_elf(elf, cores=8, model=model, max_cycles=2_000_000)
    assert r.exit_code == 0
    # 16 rounds: one 1-D tile load ahead of each, plus the first, and one 2-D copy back
    assert r.counters["dma.transfers"] == 1 + 16 + 16
    # 16 rounds x 256 outputs x 64 multiply-accumulates on the FPU, spread over every core
    assert r.counters["fp_ops"] >= 16 * 256 * 64
    assert all(r.counters[f"core{c}.fp_ops"] > 0 for c in range(8))
    # core 0's serial phases keep the others waiting in the fork barrier
    assert r.counters["wait_sync"] > 0
