"""The `xdsl.universe` entry point: makes tdopt's dialects and passes visible
to stock `xdsl-opt` (and to `tdopt`, which extends it)."""

from xdsl.universe import Universe

from tdopt.passes.registry import all_passes


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


TDOPT_UNIVERSE = Universe(
    all_dialects={
        "train": _train, "grad": _grad, "rvx": _rvx, "tier": _tier, "cluster": _cluster,
    },
    all_passes=all_passes(),
)
