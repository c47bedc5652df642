"""A module's weights file (`train.weights`, named relative to the module's
folder) is found from any working directory: made absolute against the
module's folder even when that folder is given relative (tdbench --work
DIR with a relative DIR read the CCT2 weights from DIR/CCT2_LP/DIR/CCT2_LP)."""

from __future__ import annotations

import os

from xdsl.dialects.builtin import ModuleOp, StringAttr

from tdopt.dialects.weights import WEIGHTS_ATTR, absolutize_weights, relativize_weights


def test_a_relative_folder_gives_an_absolute_path(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    module = ModuleOp([])
    module.attributes[WEIGHTS_ATTR] = StringAttr("model.npz")
    absolutize_weights(module, os.path.join("work", "CCT2_LP"))
    path = module.attributes[WEIGHTS_ATTR].data  # type: ignore[union-attr]
    assert path == str(tmp_path / "work" / "CCT2_LP" / "model.npz")
    # and back beside a module written in that folder
    relativize_weights(module, str(tmp_path / "work" / "CCT2_LP"))
    assert module.attributes[WEIGHTS_ATTR] == StringAttr("model.npz")


def test_an_absolute_path_stays(tmp_path) -> None:
    module = ModuleOp([])
    module.attributes[WEIGHTS_ATTR] = StringAttr(str(tmp_path / "w.npz"))
    absolutize_weights(module, "elsewhere")
    assert module.attributes[WEIGHTS_ATTR] == StringAttr(str(tmp_path / "w.npz"))
