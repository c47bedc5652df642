"""Shared helpers of the front-end tests: running an imported module on
inputs given by ONNX name (or by position, as some corpus files store
them under `arr_0`, `input_0`, ...)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pytest
from xdsl.dialects import func

from tdopt.interpreter.reference import argument_names, find_function, run_function
from tdopt.frontend.onnx import ImportResult


def onnx_argument_names(f: func.FuncOp) -> list[str]:
    """The ONNX names of the arguments (`train.arg_names`, else the hints)."""
    attr = f.attributes.get("train.arg_names")
    if attr is not None:
        return [s.data for s in attr.data]  # type: ignore[attr-defined]
    return argument_names(f)


def match_by_name_or_position(names: list[str], data: Mapping[str, np.ndarray]) -> list[np.ndarray]:
    if all(n in data for n in names):
        return [data[n] for n in names]
    values = list(data.values())
    assert len(values) >= len(names), f"need {len(names)} arrays, have {list(data)}"
    return values[: len(names)]


def run_imported(result: ImportResult, inputs: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Run an import's function; `inputs` keyed by ONNX name or positional."""
    f = find_function(result.module)
    values = match_by_name_or_position(onnx_argument_names(f), inputs)
    feeds = dict(zip(argument_names(f), values))
    return run_function(result.module, feeds, result.weights)


@pytest.fixture
def run_module() -> Callable[[ImportResult, Mapping[str, np.ndarray]], dict[str, np.ndarray]]:
    return run_imported
