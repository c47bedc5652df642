"""The Verilator model cache under concurrent builders (pytest -n workers,
parallel runs): one builds, the others wait and take its binary; nobody
sees a partial build. The compile itself is replaced by a stand-in that
counts its calls (the real build takes minutes)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from tdopt.runtime import model as model_mod


def test_concurrent_builders_build_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TDOPT_CACHE", str(tmp_path / "cache"))
    builds: list[int] = []

    def fake_build(work: Path, num_cores: int, jobs: int, verbose: bool, train: object) -> None:
        builds.append(num_cores)
        time.sleep(0.5)  # long enough for the other threads to reach the lock
        (work / "obj").mkdir()
        (work / "obj" / model_mod.BINARY_NAME).write_text("simulator")

    monkeypatch.setattr(model_mod, "_verilate_and_compile", fake_build)
    results: list[model_mod.Model] = []
    errors: list[BaseException] = []

    def build() -> None:
        try:
            results.append(model_mod.build_model(8, train=lambda *_: None))
        except BaseException as e:  # reported by the assertion below
            errors.append(e)

    threads = [threading.Thread(target=build) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert builds == [8]
    assert len({m.binary for m in results}) == 1
    assert sum(m.build_seconds > 0 for m in results) == 1  # the others came from the cache
    binary = results[0].binary
    assert binary.read_text() == "simulator"
    # no leftover build directories next to the cached model
    assert [p.name for p in binary.parent.parent.iterdir() if p.name.startswith(".build-")] == []


def test_a_failed_build_leaves_nothing_in_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TDOPT_CACHE", str(tmp_path / "cache"))

    def failing(work: Path, num_cores: int, jobs: int, verbose: bool, train: object) -> None:
        (work / "obj").mkdir()
        (work / "obj" / model_mod.BINARY_NAME).write_text("half")
        raise model_mod.ModelBuildError("C++ build failed")

    monkeypatch.setattr(model_mod, "_verilate_and_compile", failing)
    with pytest.raises(model_mod.ModelBuildError):
        model_mod.build_model(8, train=lambda *_: None)
    cached = [p for p in (tmp_path / "cache").iterdir() if not p.name.endswith(".lock")]
    assert cached == []
