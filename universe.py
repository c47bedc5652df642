"""The `xdsl.universe` entry point: makes tdopt's dialects and passes visible
to stock `xdsl-opt` (and to `tdopt`, which extends it)."""

from xdsl.universe import Universe

from tdopt.passes.registry import all_passes


def _train():
    from tdopt.dialects.train import Train

    return Train




TDOPT_UNIVERSE = Universe(
    all_dialects={"train": _train},
    all_passes=all_passes(),
)
