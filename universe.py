"""The `xdsl.universe` entry point: makes tdopt's dialects and passes visible
to stock `xdsl-opt` (and to `tdopt`, which extends it). Whenever it hands
out one of them it first applies tdopt's fixes of xDSL
(`lowering/xdsl_fixes.py`), so a pipeline run by stock `xdsl-opt` behaves as
under `tdopt`; importing a pass or dialect module changes nothing in xDSL."""

from collections.abc import Callable
from typing import TypeVar

from xdsl.universe import Universe

from tdopt.passes.registry import all_passes

T = TypeVar("T")


def _train():
    from tdopt.dialects.train import Train

    return Train


def _grad():
    from tdopt.dialects.grad import Grad

    return Grad


def _rvx():
    from tdopt.dialects.rvx import Rvx

    return Rvx


def _tier():
    from tdopt.dialects.tier import Tier

    return Tier


def _cluster():
    from tdopt.dialects.cluster import Cluster

    return Cluster


def _fixed(factory: Callable[[], T]) -> Callable[[], T]:
    """`factory`, applying xdsl_fixes (idempotent) before it runs."""

    def load() -> T:
        from tdopt.lowering import xdsl_fixes

        xdsl_fixes.apply()
        return factory()

    load.__module__ = factory.__module__
    load.__name__ = getattr(factory, "__name__", "load")
    return load


DIALECTS = {"train": _train, "grad": _grad, "rvx": _rvx, "tier": _tier, "cluster": _cluster}

TDOPT_UNIVERSE = Universe(
    all_dialects={name: _fixed(f) for name, f in DIALECTS.items()},
    all_passes={name: _fixed(f) for name, f in all_passes().items()},
)
