"""Long RTL runs: the simulator's heartbeat (`--progress`), the progress bar
of `tdrun --rtl` / `tdbench` (tqdm, on a terminal only), the static cycle
estimate it shows an ETA against, and the default cycle limit built on the
estimate. Estimates are compared with the cycles the RTL measures; the
limit's arithmetic with hand-derived values."""

from __future__ import annotations

import io
import subprocess
import sys

import numpy as np
import pytest
from tqdm import tqdm

from tdopt.runtime.cluster import DEFAULT_MAX_CYCLES, PROGRESS_CYCLES, ClusterError, run_elf
from tdopt.tools.context import make_context
from tdopt.tools.cycle_estimate import default_max_cycles
from tdopt.tools.diagnostics import parse_module
from tdopt.tools.rtl_run import run_on_rtl

GEMM = """\
func.func @main(%a: tensor<64x64xf32>, %b: tensor<64x64xf32>) -> tensor<64x64xf32> {
  %c = train.matmul %a, %b : (tensor<64x64xf32>, tensor<64x64xf32>) -> tensor<64x64xf32>
  func.return %c : tensor<64x64xf32>
}
"""
GELU = """\
func.func @main(%a: tensor<32x256xf32>) -> tensor<32x256xf32> {
  %c = train.gelu %a : (tensor<32x256xf32>) -> tensor<32x256xf32>
  func.return %c : tensor<32x256xf32>
}
"""
SOFTMAX_SUM = """\
func.func @main(%a: tensor<64x128xf32>) -> tensor<f32> {
  %s = train.softmax %a {axis = 1 : i64} : (tensor<64x128xf32>) -> tensor<64x128xf32>
  %l = train.reduce_sum %s {axes = array<i64>} : (tensor<64x128xf32>) -> tensor<f32>
  func.return %l : tensor<f32>
}
"""


def _inputs(text: str) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    shapes = {"a": (32, 256) if "32x256" in text else (64, 128) if "64x128" in text else (64, 64),
              "b": (64, 64)}
    names = ["a", "b"] if "%b" in text else ["a"]
    return {n: rng.standard_normal(shapes[n]).astype(np.float32) for n in names}


def _run(text: str, cores: int = 8, **kw):
    module = parse_module(make_context(), text, "m.mlir")
    return run_on_rtl(make_context(), module, _inputs(text), cores=cores, l1="128k",
                      tile_l1=True, **kw)


@pytest.mark.parametrize("text,cores", [(GEMM, 8), (GEMM, 1), (GELU, 8), (SOFTMAX_SUM, 8)],
                         ids=["gemm-8", "gemm-1", "gelu-8", "softmax-sum-8"])
def test_the_static_estimate_is_within_2x_of_the_rtl(text: str, cores: int) -> None:
    run = _run(text, cores)
    cycles = run.counters["cycles"]
    assert 0.5 <= run.estimate / cycles <= 2.0, (run.estimate, cycles)


def test_the_default_limit_is_a_wide_margin_over_the_estimate() -> None:
    # hand-derived: 4 x estimate + 1 M, never below the fixed default
    assert default_max_cycles(0, DEFAULT_MAX_CYCLES) == DEFAULT_MAX_CYCLES
    assert default_max_cycles(1_000_000, DEFAULT_MAX_CYCLES) == DEFAULT_MAX_CYCLES
    assert default_max_cycles(23_000_000, DEFAULT_MAX_CYCLES) == 93_000_000
    assert default_max_cycles(100, 10) == 1_000_400


def test_hitting_the_default_limit_names_the_flag(monkeypatch: pytest.MonkeyPatch) -> None:
    # a limit far below what the GEMM needs, as if the estimate were wrong
    monkeypatch.setattr("tdopt.tools.cycle_estimate.default_max_cycles", lambda est, floor: 5000)
    with pytest.raises(ClusterError) as info:
        _run(GEMM)
    message = str(info.value)
    assert info.value.kind == "timeout"
    assert message.startswith("no end of computation after 5000 cycles, the default limit")
    assert "static estimate of" in message and "--max-cycles N raises it" in message


def test_an_explicit_limit_says_which_flag_raises_it(tmp_path) -> None:
    (tmp_path / "m.mlir").write_text(GEMM)
    np.savez(tmp_path / "in.npz", **_inputs(GEMM))
    run = subprocess.run(
        ["tdrun", str(tmp_path / "m.mlir"), "--inputs", str(tmp_path / "in.npz"), "--rtl",
         "--cores", "8", "--tile-l1", "128k", "--max-cycles", "5000"],
        capture_output=True, text=True,
    )
    assert run.returncode == 1
    assert "no end of computation after 5000 cycles (--max-cycles raises the limit)" in run.stderr


def test_heartbeats_come_every_progress_period_and_change_nothing(tmp_path) -> None:
    module = parse_module(make_context(), GEMM, "m.mlir")
    plain = run_on_rtl(make_context(), module.clone(), _inputs(GEMM), cores=8, l1="128k",
                       tile_l1=True, workdir=str(tmp_path))
    beats: list[int] = []
    again = run_elf(plain.elf_path, cores=8, l1_size="128k", progress=beats.append,
                    write_symbols={}, read_symbols=[])
    total = plain.counters["cycles"]
    # the ELF alone (inputs not written) takes the same control flow: a GEMM
    assert again.counters["cycles"] == total
    assert beats == list(range(PROGRESS_CYCLES, total + 1, PROGRESS_CYCLES))


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("terminal", [True, False])
def test_the_progress_bar_shows_on_a_terminal_only(monkeypatch: pytest.MonkeyPatch,
                                                   terminal: bool) -> None:
    stream = _Terminal() if terminal else io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    heartbeats: list[int] = []
    import tdopt.runtime.cluster as cluster

    original = cluster.run_elf  # run_on_rtl imports it at call time

    def spying(*args, **kw):
        if kw.get("progress") is not None:
            inner = kw["progress"]
            kw["progress"] = lambda n: (heartbeats.append(n), inner(n))
        return original(*args, **kw)

    monkeypatch.setattr(cluster, "run_elf", spying)
    run = _run(GEMM, progress="gemm row")
    shown = stream.getvalue()
    if terminal:
        cycles = run.counters["cycles"]
        assert heartbeats and heartbeats[-1] <= cycles
        assert "gemm row" in shown and "cycle" in shown
        # the bar's total is the static estimate (tqdm's scaled units)
        assert f"/{tqdm.format_sizeof(run.estimate)}" in shown, shown[-300:]
    else:
        assert shown == "" and heartbeats == []  # no bar, no heartbeats
