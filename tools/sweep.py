"""tdbench's sweeps and parallel rows, run through Dask distributed.

A sweep is the product of tdbench rows with values of the platform and the
training strategy:

    tdbench --rows cct-block/lora --sweep 'l1=64k,128k,256k cores=1,2,4,8 rank=2,4' --csv OUT.csv

`l1`: the L1 the kernels are tiled through (64k, 128k, 256k, or none for the
static placement); `cores`: 1..8; `rank`: the LoRA rank of rows whose
strategy has `train-lora` (an error for other rows). An axis not named keeps
tdbench's --cores/--tile-l1 value (rank: the row's own).

Points run as Dask tasks: `-j N` starts a local cluster of N single-threaded
worker processes; `--scheduler ADDRESS` submits to a running Dask cluster
(e.g. one dask-jobqueue started on SLURM), whose workers need tdopt installed
and the work folder (--work) on a shared file system. Each task compiles
and simulates one point; compiled programs and Verilator models are cached
by content in $TDOPT_CACHE (default ~/.cache/tdopt), so workers sharing it
reuse them. Results come back in point order, whatever order they finish in.
"""

from __future__ import annotations

import itertools
import logging
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from tdopt.target import CLUSTER

AXES = ("l1", "cores", "rank")


class SweepError(ValueError):
    """A malformed --sweep: the message says what is accepted."""


@dataclass(frozen=True)
class Point:
    """One run of a sweep: a row at a core count, tiling L1 and LoRA rank
    (None: the row's own)."""

    row: str
    cores: int
    tile_l1: int | None
    rank: int | None = None

    def label(self) -> str:
        l1 = f"{self.tile_l1 // 1024}k" if self.tile_l1 is not None else "none"
        rank = f" rank={self.rank}" if self.rank is not None else ""
        return f"{self.row} cores={self.cores} l1={l1}{rank}"


def run_l1(text: str) -> int | None:
    """An L1 size the RTL runs with (64k, 128k, 256k or their bytes), or
    None for `none` (no tiling); a ValueError saying what is accepted."""
    from tdopt.runtime.cluster import parse_size

    if text.strip().lower() == "none":
        return None
    try:
        size = parse_size(text)
    except ValueError:
        size = -1
    why = CLUSTER.check_run_l1(size)
    if why is not None:
        raise ValueError(f"{why}, or none for no tiling")
    return size


def _l1(text: str) -> int | None:
    try:
        return run_l1(text)
    except ValueError as e:
        raise SweepError(f"l1={text}: {e}") from None


def _cores(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = -1
    why = CLUSTER.check_cores(n)
    if why is not None:
        raise SweepError(f"cores={text}: {why}")
    return n


def _rank(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise SweepError(f"rank={text}: a LoRA rank is a positive integer")
    return int(text)


PARSE: dict[str, Callable[[str], Any]] = {"l1": _l1, "cores": _cores, "rank": _rank}


def parse_sweep(spec: str) -> dict[str, list[Any]]:
    """'l1=64k,128k cores=1,8' -> {"l1": [65536, 131072], "cores": [1, 8]}."""
    axes: dict[str, list[Any]] = {}
    for item in spec.split():
        name, eq, values = item.partition("=")
        if not eq or not values:
            raise SweepError(f"{item!r}: an axis is NAME=V1,V2,... with NAME one of {', '.join(AXES)}")
        if name not in PARSE:
            raise SweepError(f"unknown axis {name!r}: the axes are {', '.join(AXES)}")
        if name in axes:
            raise SweepError(f"axis {name!r} is given twice")
        parsed = [PARSE[name](v.strip()) for v in values.split(",") if v.strip()]
        if len(set(parsed)) != len(parsed):
            raise SweepError(f"{item!r}: a value is repeated")
        axes[name] = parsed
    if not axes:
        raise SweepError("an empty sweep: give at least one axis, e.g. 'cores=1,8'")
    return axes


def sweep_points(rows: Sequence[str], axes: dict[str, list[Any]], cores: int,
                 tile_l1: int | None, lora_rows: set[str]) -> list[Point]:
    """The product of `rows` with the axes, row-major in the order given."""
    if "rank" in axes:
        other = [r for r in rows if r not in lora_rows]
        if other:
            raise SweepError(
                f"rank applies to rows trained with LoRA; {', '.join(other)} "
                f"{'is' if len(other) == 1 else 'are'} not (LoRA rows: {', '.join(sorted(lora_rows))})"
            )
    return [
        Point(row, c, l1, rank)
        for row in rows
        for l1, c, rank in itertools.product(
            axes.get("l1", [tile_l1]), axes.get("cores", [cores]), axes.get("rank", [None])
        )
    ]


def with_rank(strategy: str, rank: int | None) -> str:
    """`strategy` with its train-lora rank set to `rank`."""
    if rank is None:
        return strategy

    def set_rank(m: re.Match[str]) -> str:
        options = re.sub(r"\brank=\d+\s*", "", m.group(1)).strip()
        return "train-lora{" + " ".join(o for o in (f"rank={rank}", options) if o) + "}"

    out, n = re.subn(r"train-lora\{([^}]*)\}", set_rank, strategy)
    if n == 0:
        out, n = re.subn(r"train-lora(?=,|$)", f"train-lora{{rank={rank}}}", strategy)
    if n == 0:
        raise SweepError(f"rank={rank}: the strategy {strategy!r} has no train-lora")
    return out


def run_points(task: Callable[[Point], dict[str, object]], points: Sequence[Point], jobs: int,
               scheduler: str | None,
               done: Callable[[int, Point, BaseException | None], None] | None = None,
               ) -> list[dict[str, object] | BaseException]:
    """`task(point)` for every point on Dask workers (a local cluster of
    `jobs` processes, or the cluster at `scheduler`); per point, in order,
    its result or the exception it raised. `done(k, point, error)` is
    called as each finishes."""
    from dask.distributed import Client, LocalCluster, as_completed

    logging.getLogger("distributed").setLevel(logging.ERROR)
    if scheduler is not None:
        client = Client(scheduler, timeout="30s")
        cluster = None
    else:
        cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.ERROR)
        client = Client(cluster)
    try:
        futures = [client.submit(task, p, pure=False, key=f"point-{i}") for i, p in enumerate(points)]
        index = {f.key: i for i, f in enumerate(futures)}
        out: list[dict[str, object] | BaseException | None] = [None] * len(points)
        for k, future in enumerate(as_completed(futures), 1):
            i = index[future.key]
            error = future.exception()
            out[i] = error if error is not None else future.result()
            if done is not None:
                done(k, points[i], error)
        return out  # type: ignore[return-value]
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def plot_sweep(path: str, results: Sequence[dict[str, object]]) -> None:
    """FLOP/cycle against cores: one panel per row, one line per (L1, rank)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = list(dict.fromkeys(str(r["row"]) for r in results))
    fig, axes = plt.subplots(1, len(rows), figsize=(4.5 * len(rows), 3.6), squeeze=False)
    for ax, row in zip(axes[0], rows):
        mine = [r for r in results if r["row"] == row]
        series = sorted({(str(r["L1"]), str(r["rank"])) for r in mine}, key=_series_order)
        for l1, rank in series:
            pts = sorted((int(r["cores"]), float(r["FLOP/cycle"]))  # type: ignore[call-overload]
                         for r in mine if (str(r["L1"]), str(r["rank"])) == (l1, rank))
            label = f"L1 {l1}" + (f", rank {rank}" if rank != "-" else "")
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=label)
        ax.set_xscale("log", base=2)
        ax.set_xticks(sorted({int(r["cores"]) for r in mine}))  # type: ignore[call-overload]
        ax.get_xaxis().set_major_formatter(matplotlib.ticker.ScalarFormatter())
        ax.set_xlabel("cores")
        ax.set_ylabel("FLOP / cycle")
        ax.set_title(row, fontsize=9)
        ax.grid(True, lw=0.3, alpha=0.5)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _series_order(series: tuple[str, str]) -> tuple[int, int]:
    """(L1, rank) by size: none, 64k, 128k, 256k; ranks by value."""
    l1, rank = series
    return (int(l1[:-1]) if l1 != "none" else 0, int(rank) if rank.isdigit() else 0)


def progress(total: int) -> Callable[[int, Point, BaseException | None], None]:
    def done(k: int, point: Point, error: BaseException | None) -> None:
        what = "FAILED" if error is not None else "done"
        print(f"[{k}/{total}] {point.label()} {what}", file=sys.stderr, flush=True)

    return done
