"""Every pass tdopt provides, by its command-line name. Factories import
lazily so that `tdopt --help` and `xdsl-opt` start fast."""

from collections.abc import Callable

from xdsl.passes import ModulePass


def all_passes() -> dict[str, Callable[[], type[ModulePass]]]:
    return {}
