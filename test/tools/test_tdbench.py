"""tdbench runs a row on the RTL, checks it against the reference
interpreter and prints its figures; tdrun --expect fails on a mismatch."""

from __future__ import annotations

import subprocess

import numpy as np


def test_tdbench_gemm_row(tmp_path):
    out = tmp_path / "bench.csv"
    run = subprocess.run(
        ["tdbench", "--rows", "gemm64", "--cores", "8", "--csv", str(out)],
        capture_output=True, text=True,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    lines = out.read_text().splitlines()
    assert lines[0].startswith("row,FLOPs,cycles,FLOP/cycle")
    row = lines[1].split(",")
    assert row[0] == "gemm64"
    assert int(row[1]) == 2 * 64 * 64 * 64  # hand-derived FLOPs of a 64^3 GEMM
    assert int(row[2]) > 0
    assert abs(float(row[3]) - int(row[1]) / int(row[2])) < 1e-3


def test_tdbench_rejects_unknown_rows():
    run = subprocess.run(["tdbench", "--rows", "nope"], capture_output=True, text=True)
    assert run.returncode == 2 and "unknown rows nope" in run.stderr


def test_tdrun_expect_detects_a_mismatch(tmp_path):
    model = tmp_path / "m.mlir"
    model.write_text(
        "func.func @main(%a: tensor<3xf32>, %b: tensor<3xf32>) -> tensor<3xf32> {\n"
        "  %c = train.add %a, %b : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>\n"
        "  func.return %c : tensor<3xf32>\n}\n"
    )
    a, b = np.array([1, 2, 3], np.float32), np.array([10, 20, 30], np.float32)
    np.savez(tmp_path / "in.npz", a=a, b=b)
    np.savez(tmp_path / "good.npz", result0=a + b)
    np.savez(tmp_path / "bad.npz", result0=a + b + np.float32(0.5))
    base = ["tdrun", str(model), "--inputs", str(tmp_path / "in.npz"), "--reference"]
    good = subprocess.run([*base, "--expect", str(tmp_path / "good.npz")], capture_output=True, text=True)
    bad = subprocess.run([*base, "--expect", str(tmp_path / "bad.npz")], capture_output=True, text=True)
    assert good.returncode == 0 and "matches" in good.stdout
    assert bad.returncode == 1 and "MISMATCH" in bad.stdout
    assert "Traceback" not in bad.stderr


def test_models_of_one_run_do_not_share_files(tmp_path):
    """Every model a run builds has its own files (gemm64 and gemm256 both
    wrote gemm.mlir: in one run, the gemm64 row measured the 256^3 one)."""
    from tdopt.tools import tdbench

    paths = {name: tdbench.MODELS[name](str(tmp_path)) for name in ("gemm64", "gemm256", "conv")}
    assert len({p for p, _ in paths.values()}) == len(paths)
    assert len({i for _, i in paths.values()}) == len(paths)
    assert "tensor<64x64xf32>" in open(paths["gemm64"][0]).read()
