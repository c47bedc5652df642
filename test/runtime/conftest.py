"""Shared fixtures: the cluster model is built (or taken from the cache) once per session."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tdopt.runtime.cluster import build_model
from tdopt.runtime.model import Model
from tdopt.runtime.toolchain import assemble_and_link

PROGRAMS = Path(__file__).parent / "programs"


@pytest.fixture(scope="session")
def model() -> Model:
    start = time.monotonic()
    m = build_model(8)
    print(f"\ncluster model ready in {time.monotonic() - start:.1f} s: {m.binary}")
    return m


@pytest.fixture(scope="session")
def program(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """program("dot.c") -> ELF built from test/runtime/programs/dot.c (cached per session)."""
    out = tmp_path_factory.mktemp("elf")
    built: dict[str, Path] = {}

    def build(name: str) -> Path:
        if name not in built:
            built[name] = assemble_and_link([PROGRAMS / name], out / (Path(name).stem + ".elf"))
        return built[name]

    return build
