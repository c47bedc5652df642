"""`--trainable`: which parameters are trained. A spec is a comma-separated
list of names and globs (`blocks_1_*`); `@FILE` reads more items from a
file, one or more per line, `#` starting a comment."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable

from tdopt.frontend.onnx.errors import ImportFailure

GLOB_CHARS = "*?["


def spec_items(spec: str) -> list[str]:
    items: list[str] = []
    for raw in spec.split(","):
        item = raw.strip()
        if not item:
            continue
        if item.startswith("@"):
            path = item[1:]
            if not os.path.isfile(path):
                raise ImportFailure(f"--trainable: no such file: {path}")
            with open(path) as f:
                for line in f:
                    items.extend(spec_items(line.split("#", 1)[0]))
        else:
            items.append(item)
    return items


def select(spec: str, params: Iterable[str], initializers: Iterable[str]) -> set[str]:
    """The parameter names a spec selects; every item must select something."""
    names = list(params)
    known = set(names)
    chosen: set[str] = set()
    for item in spec_items(spec):
        if any(c in item for c in GLOB_CHARS):
            hits = fnmatch.filter(names, item)
            if not hits:
                raise ImportFailure(f"--trainable: pattern '{item}' matches no parameter")
            chosen.update(hits)
        elif item in known:
            chosen.add(item)
        elif item in set(initializers):
            raise ImportFailure(
                f"--trainable: initializer '{item}' is not a float parameter the "
                "model computes with"
            )
        else:
            close = ", ".join(sorted(n for n in names if item.lower() in n.lower())[:5])
            hint = f" (similar: {close})" if close else ""
            raise ImportFailure(f"--trainable: no parameter named '{item}'{hint}")
    return chosen
