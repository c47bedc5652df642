"""The fuzzer of the tools' inputs (tool_fuzz.py) on a small fixed budget,
and the failures it found, kept as regression cases (each checks the
diagnostic and that nothing was written)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
import tool_fuzz
from tool_fuzz import Mutation, Stats, ToolCase, base_argv, check_case, tool_cases, write_seeds

# derandomized (the same cases every run), no RTL run: about 30 s on 2 cores
BUDGET = 120


@pytest.fixture(scope="module")
def seeds(tmp_path_factory) -> str:
    d = str(tmp_path_factory.mktemp("seeds"))
    write_seeds(d)
    return d


def test_tool_fuzz_fixed_budget(seeds: str) -> None:
    stats = Stats()

    @settings(max_examples=BUDGET, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(tool_cases(rtl_rate=0))
    def run(case: ToolCase) -> None:
        failures = check_case(case, seeds, stats)
        assert not failures, f"{case.describe()}: {failures}"

    run()
    # the budget exercises what it claims: every tool, accepted runs whose
    # results were checked against numpy, rejections the oracle required
    assert set(stats.by_tool) >= {"tdrun", "tdopt", "tdimport", "tdbench"}, stats.summary()
    assert stats.checked_results >= 5 and stats.rejected_as_required >= 5, stats.summary()
    assert stats.outcomes.get("diagnostic", 0) >= BUDGET // 2, stats.summary()


def test_the_seeds_are_accepted_and_correct(seeds: str) -> None:
    """Without a mutation every tool succeeds and its result equals numpy's
    (the oracle's own check: a harness that rejects everything finds nothing)."""
    for tool, emit in (("tdrun", "train"), ("tdopt", "train"), ("tdimport", "train")):
        stats = Stats()
        case = ToolCase(tool, base_argv(tool, emit, True), [Mutation("flag_unknown", "--bogus")])
        case.mutations.clear()
        assert check_case(case, seeds, stats) == [], tool
        assert stats.outcomes == {"ok": 1} and stats.checked_results == 1, (tool, stats.summary())


def _case(seeds: str, tmp: Path, mutate) -> Path:
    d = tmp / "case"
    shutil.copytree(seeds, d)
    mutate(d)
    return d


def _run(tool: str, argv: list[str]) -> tuple[int | str, str, str]:
    return tool_fuzz.run_tool_in_process(tool, argv, False)


def test_weights_file_that_is_a_npy_or_empty_is_a_diagnostic(seeds: str, tmp_path: Path) -> None:
    """Found: a .npy saved as w.npz gave "internal compiler error:
    TypeError: 'numpy.ndarray' object does not support the context manager
    protocol" (np.load returns an array, not an archive)."""
    for data, what in ((None, "a .npy file (one array)"), (b"", "an empty file")):
        def mutate(d: Path) -> None:
            if data is None:
                with open(d / "w.npz", "wb") as fh:
                    np.save(fh, np.ones((4, 5), np.float32))
            else:
                (d / "w.npz").write_bytes(data)
        d = _case(seeds, tmp_path / what.replace(" ", "_"), mutate)
        for tool, argv in (("tdrun", [f"{d}/step.mlir", "--reference", "--inputs", f"{d}/in.npz"]),
                           ("tdopt", [f"{d}/step.mlir", "--finetune=w"])):
            code, out, err = _run(tool, argv)
            assert code == 1, (tool, err)
            assert f"cannot read weights file {d}/w.npz: {what}; expected an .npz" in err, err
            assert "internal" not in err


def test_expect_without_a_result_name_fails_before_the_run(seeds: str, tmp_path: Path) -> None:
    """Found: --expect with no array named like a result was reported after
    the run had written -o (a failed run that left its output)."""
    d = _case(seeds, tmp_path, lambda d: np.savez(d / "expect.npz", Loss=np.float32(1.0)))
    code, out, err = _run("tdrun", [f"{d}/step.mlir", "--reference", "--inputs", f"{d}/in.npz",
                                     "-o", f"{d}/out.npz", "--expect", f"{d}/expect.npz"])
    assert code == 1 and "loss =" not in out
    assert f"--expect {d}/expect.npz: shares no array name with the results (loss); it holds Loss" in err
    assert not os.path.exists(d / "out.npz")


@pytest.mark.parametrize("labels", [[4, 0, 2**32 + 2], [2**31, 0, 1], [1, -(2**31) - 1, 0], [0, 1, 1e10]],
                         ids=["2**32+2", "2**31", "-2**31-1", "1e10"])
def test_labels_beyond_int32_are_not_wrapped(seeds: str, tmp_path: Path, labels) -> None:
    """Found by probing what the fuzzer's oracle rejects: an int64 label
    2**32 + 2 was cast to the module's i32 as 2, a valid class: a silently
    different loss, exit 0."""
    dtype = np.float64 if any(isinstance(v, float) for v in labels) else np.int64
    d = _case(seeds, tmp_path, lambda d: np.savez(
        d / "in.npz", x=np.load(f"{seeds}/in.npz")["x"], y=np.array(labels, dtype)))
    code, out, err = _run("tdrun", [f"{d}/step.mlir", "--reference", "--inputs", f"{d}/in.npz"])
    bad = next(v for v in labels if not -(2**31) <= v < 2**31)
    assert code == 1 and "loss" not in out, out
    assert "does not fit the argument's i32 (-2147483648 to 2147483647)" in err and str(bad)[:6] in err, err


@pytest.mark.parametrize("emit", ["train", "linalg", "asm"])
def test_tdopt_never_writes_over_the_weights_file(seeds: str, tmp_path: Path, emit: str) -> None:
    """Found: `tdopt step.mlir --emit=linalg -o w.npz` replaced the module's
    weights with the MLIR text, exit 0 (the weights were not counted as an
    input of tdopt)."""
    d = _case(seeds, tmp_path, lambda d: None)
    before = (d / "w.npz").read_bytes()
    code, out, err = _run("tdopt", [f"{d}/step.mlir", "--finetune=w", f"--emit={emit}", "-o", f"{d}/w.npz"])
    assert code == 1 and f"error: -o {d}/w.npz: would overwrite the input {d}/w.npz" in err, err
    assert (d / "w.npz").read_bytes() == before
    assert sorted(p.name for p in d.iterdir()) == sorted(os.listdir(seeds))


def test_tdbench_plot_format_is_checked_before_any_row(tmp_path: Path) -> None:
    """Found: `tdbench --plot out.npz` ran the rows, then matplotlib's
    ValueError ("Format 'npz' is not supported") escaped main as a
    traceback."""
    code, out, err = _run("tdbench", ["--rows", "gemm64", "--plot", str(tmp_path / "r.npz")])
    assert code == 2 and "[1/" not in err and "Traceback" not in err, err
    assert f"--plot {tmp_path}/r.npz: .npz is not an image format matplotlib writes" in err
    assert "png" in err and "svg" in err
    assert list(tmp_path.iterdir()) == []
    # what it accepts reaches the rows (where the fuzzer's run stops)
    for name in ("r.png", "r.SVG", "r"):
        code, out, err = _run("tdbench", ["--rows", "gemm64", "--plot", str(tmp_path / name)])
        assert code == "validated", (name, err)


def test_mutations_compose_on_a_retyped_array(seeds: str) -> None:
    """A NaN written into an array an earlier mutation turned into strings
    (the fuzzer itself crashed on this case in a 2,000-case run): the tool
    gets a diagnostic, the fuzzer no exception."""
    case = ToolCase(
        "tdrun", base_argv("tdrun", "asm", True),
        [Mutation("retype", "in.npz", (2, "<U1")), Mutation("nonfinite", "in.npz", (0, ""))],
    )
    stats = Stats()
    assert check_case(case, seeds, stats) == []
