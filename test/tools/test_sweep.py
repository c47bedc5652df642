"""tdbench sweeps and parallel rows through Dask (tools/sweep.py): the
points of a sweep run on a local cluster of 2 workers give the same CSV as
the same points run one by one in one process (without the program cache),
and malformed sweeps are errors that say what is accepted."""

from __future__ import annotations

import dataclasses
import subprocess

import pytest

from tdopt.tools.sweep import Point, SweepError, parse_sweep, run_points, sweep_points, with_rank


def test_parse_sweep_axes_and_values() -> None:
    assert parse_sweep("l1=64k,256k cores=1,8 rank=2") == {
        "l1": [65536, 262144], "cores": [1, 8], "rank": [2],
    }
    assert parse_sweep("l1=none,131072") == {"l1": [None, 131072]}


@pytest.mark.parametrize("spec, message", [
    ("", "an empty sweep"),
    ("cores", "an axis is NAME=V1,V2,... with NAME one of l1, cores, rank"),
    ("batch=1,2", "unknown axis 'batch': the axes are l1, cores, rank"),
    ("cores=1 cores=2", "axis 'cores' is given twice"),
    ("cores=1,9", "cores=9:"),
    ("l1=96k", "l1=96k: the cluster's L1 is 64k, 128k, 256k (or their byte counts), or none for no tiling"),
    ("rank=0", "rank=0: a LoRA rank is a positive integer"),
    ("cores=2,2", "a value is repeated"),
])
def test_parse_sweep_rejects(spec: str, message: str) -> None:
    with pytest.raises(SweepError, match=message.replace("(", r"\(").replace(")", r"\)")
                       .replace(".", r"\.").replace("+", r"\+")):
        parse_sweep(spec)


def test_points_are_the_product_in_order() -> None:
    points = sweep_points(["a", "b"], {"cores": [1, 8], "rank": [2, 4]}, 8, 131072, {"a", "b"})
    assert [(p.row, p.cores, p.tile_l1, p.rank) for p in points] == [
        ("a", 1, 131072, 2), ("a", 1, 131072, 4), ("a", 8, 131072, 2), ("a", 8, 131072, 4),
        ("b", 1, 131072, 2), ("b", 1, 131072, 4), ("b", 8, 131072, 2), ("b", 8, 131072, 4),
    ]
    with pytest.raises(SweepError, match="rank applies to rows trained with LoRA; gemm64 is not"):
        sweep_points(["gemm64"], {"rank": [2]}, 8, None, {"cct-block/lora"})


def test_with_rank() -> None:
    assert with_rank("train-lora{rank=2},train-autodiff", 8) == "train-lora{rank=8},train-autodiff"
    assert (with_rank("train-lora{rank=4 blocks=all},train-sgd", 2)
            == "train-lora{rank=2 blocks=all},train-sgd")
    assert with_rank("train-lora,train-sgd", 3) == "train-lora{rank=3},train-sgd"
    assert with_rank("train-finetune{last=2}", None) == "train-finetune{last=2}"
    with pytest.raises(SweepError, match="has no train-lora"):
        with_rank("train-finetune{last=2}", 2)


def test_run_points_on_a_running_scheduler_keeps_point_order() -> None:
    """--scheduler's path: tasks go to a cluster started elsewhere; results
    come back in point order whatever order they finish in."""
    from dask.distributed import LocalCluster

    points = [Point(f"r{i}", 1 + i % 8, None) for i in range(6)]
    seen: list[int] = []
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        out = run_points(dataclasses.asdict, points, 1, cluster.scheduler_address,
                         lambda k, p, e: seen.append(k))
    assert out == [dataclasses.asdict(p) for p in points]
    assert sorted(seen) == list(range(1, 7))


def tdbench(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(["tdbench", *argv], capture_output=True, text=True, timeout=900)


def test_sweep_on_two_workers_matches_one_by_one(tmp_path) -> None:
    spec = "cores=4,8 l1=64k,128k"
    par = tdbench("--rows", "gemm64", "--sweep", spec, "-j", "2", "--csv", str(tmp_path / "par.csv"),
                  "--sweep-plot", str(tmp_path / "sweep.png"))
    assert par.returncode == 0, par.stdout + par.stderr
    one = tdbench("--rows", "gemm64", "--sweep", spec, "--no-cache", "--csv", str(tmp_path / "one.csv"))
    assert one.returncode == 0, one.stdout + one.stderr
    lines = (tmp_path / "par.csv").read_text().splitlines()
    assert lines[0].startswith("row,cores,L1,rank,FLOPs,cycles")
    assert [tuple(l.split(",")[:3]) for l in lines[1:]] == [
        ("gemm64", "4", "64k"), ("gemm64", "8", "64k"), ("gemm64", "4", "128k"), ("gemm64", "8", "128k"),
    ]
    assert all(int(l.split(",")[4]) == 2 * 64**3 for l in lines[1:])  # hand-derived FLOPs
    assert (tmp_path / "par.csv").read_text() == (tmp_path / "one.csv").read_text()
    assert (tmp_path / "sweep.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("argv, message", [
    (["--rows", "gemm64", "-j", "0"], "error: -j 0: the number of processes is at least 1"),
    (["--rows", "gemm64", "--sweep-plot", "x.png"], "error: --sweep-plot draws a --sweep"),
    (["--rows", "gemm64", "--sweep", "rank=2"], "error: --sweep: rank applies to rows trained with LoRA"),
    (["--rows", "gemm64", "--sweep", "cores=1,16"], "error: --sweep: cores=16:"),
    (["--rows", "gemm64", "--work", "/nonexistent"], "error: --work /nonexistent: not a folder"),
])
def test_bad_sweep_flags(argv: list[str], message: str, tmp_path) -> None:
    p = subprocess.run(["tdbench", *argv], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert p.returncode == 2
    assert message in p.stderr
    assert "Traceback" not in p.stderr
