"""`tdopt --plot-memory OUT.png`: the static memory plan drawn over the
step's kernel calls, one panel per tier (bytes live at each call, the
tier's capacity as a line, the largest buffers named at their peak), like
Deeploy's `--plotMemAlloc`. The figures come from
`analyses.memory_plan.memory_series`; this module only draws them."""

from __future__ import annotations

import io
import os

from tdopt.analyses.memory_plan import TIERS, MemorySeries
from tdopt.target import CLUSTER


def capacities(l1: int | None, l2: int) -> dict[str, int]:
    """Bytes each tier offers the plan: the L1 (`l1`, default 128 KiB)
    without the core stacks, the L2 without the code, the whole L3."""
    return {
        "L1": CLUSTER.tile_budget(l1 if l1 is not None else 128 * 1024),
        "L2": CLUSTER.tensor_l2(l2),
        "L3": CLUSTER.l3_size,
    }


def plot_memory(path: str, series: MemorySeries, capacity: dict[str, int], title: str) -> None:
    """Draw `series` (see `memory_figure`) into `path`; the extension picks
    the format; written atomically."""
    import matplotlib.pyplot as plt

    from tdopt.tools.diagnostics import write_output

    fig = memory_figure(series, capacity, title)
    ext = os.path.splitext(path)[1].lstrip(".").lower() or "png"
    buf = io.BytesIO()
    fig.savefig(buf, format=ext, dpi=DPI)
    plt.close(fig)
    write_output(path, lambda fh: fh.write(buf.getvalue()))


DPI = 120
PANEL_HEIGHT = 2.6  # inches per tier, plus 0.6 for the title


def memory_figure(series: MemorySeries, capacity: dict[str, int], title: str):  # -> Figure
    """A panel per tier holding data (L1 and L2 at least one of them),
    named `TIER bytes`: the bytes live per kernel call as a step curve
    (its first line), the capacity as a dashed line (or named "off scale"
    when 4x above the peak), the largest buffers labelled at the call
    where their tier peaks in their life."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tiers = [t for t in TIERS if any(series.live[t])] or ["L2"]
    n = len(series.calls)
    xs = list(range(n))
    fig, axes = plt.subplots(len(tiers), 1, figsize=(10, PANEL_HEIGHT * len(tiers) + 0.6), sharex=True,
                             squeeze=False)
    for ax, tier in zip(axes[:, 0], tiers):
        live = series.live[tier]
        ax.step(xs, live, where="mid", color="C0", lw=1)
        ax.fill_between(xs, live, step="mid", alpha=0.45, color="C0", label="bytes live")
        cap = capacity[tier]
        peak = max(live) if live else 0
        if 4 * peak >= cap:
            ax.axhline(cap, color="C3", ls="--", lw=1, label=f"capacity {_size(cap)}")
            ax.set_ylim(0, max(cap, peak) * 1.25)
        else:  # a line far above the data would flatten it: named, not drawn
            ax.plot([], [], color="C3", ls="--", lw=1, label=f"capacity {_size(cap)} (off scale)")
            ax.set_ylim(0, max(peak, 1) * 1.6)
        ax.set_ylabel(f"{tier} bytes")
        mine = [label for label in series.labels if label[1] == tier]
        # one column of names at the panel's top left (names placed beside
        # their calls overlapped), each with a line to its call
        for j, (name, _, size, k) in enumerate(mine):
            ax.annotate(f"{name} ({_size(size)})", (k, live[k]), textcoords="axes fraction",
                        xytext=(0.015, 0.93 - 0.1 * j), fontsize=7, va="top",
                        bbox={"boxstyle": "round,pad=0.15", "fc": "white", "alpha": 0.8, "lw": 0},
                        arrowprops={"arrowstyle": "-", "lw": 0.5, "color": "grey"})
        ax.legend(fontsize=7, loc="upper right")
        ax.grid(True, lw=0.3, alpha=0.5)
    axes[-1, 0].set_xlabel(f"kernel call (schedule order, {n} calls)")
    axes[-1, 0].set_xlim(-0.5, max(n - 0.5, 0.5))
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.2f} MiB"
    if n >= 1024:
        return f"{n / 1024:.1f} KiB"
    return f"{n} B"
