"""Inputs are checked before a step runs, on the reference interpreter and
on the RTL alike: class labels outside [0, classes) and non-integral values
for an integer input are errors naming the input, never a silently wrong
loss (numpy would wrap label -1 to the last class and truncate 1.7 to 1;
the cluster would read past the logits)."""

from __future__ import annotations

import numpy as np
import pytest
from xdsl.parser import Parser

from tdopt.interpreter.reference import InterpretationFailure, run_function
from tdopt.tools.context import make_context
from tdopt.tools.rtl_run import run_on_rtl

STEP = """
func.func @step(%x: tensor<2x3xf32>, %labels: tensor<2xi64>) -> tensor<f32> {
  %w = train.param @w = dense<0.5> : tensor<4x3xf32>
  %o = train.gemm %x, %w {trans_b} : (tensor<2x3xf32>, tensor<4x3xf32>) -> tensor<2x4xf32>
  %l = train.cross_entropy %o, %labels : (tensor<2x4xf32>, tensor<2xi64>) -> tensor<f32>
  func.return %l : tensor<f32>
}
"""
X = np.arange(6, dtype=np.float32).reshape(2, 3) / 6


def module():
    return Parser(make_context(), STEP).parse_module()


@pytest.mark.parametrize(
    "labels,message",
    [
        (np.array([0, 4]), r"label 4 at index \[1\] is not a class of train.cross_entropy \(its logits have 4 classes: 0 to 3\)"),
        (np.array([-1, 2]), r"label -1 at index \[0\] is not a class"),
        (np.array([1.7, 2.0]), r"input 'labels' must hold integers \(tensor<2xi64>\), got 1.7 at index \[0\]"),
        (np.array([1.0, np.nan]), r"must hold integers .* got nan at index \[1\]"),
    ],
)
def test_bad_labels_are_errors(labels: np.ndarray, message: str) -> None:
    with pytest.raises(InterpretationFailure, match=message):
        run_function(module(), {"x": X, "labels": labels})
    # the RTL path checks before it compiles anything
    with pytest.raises(InterpretationFailure, match=message):
        run_on_rtl(make_context(), module(), {"x": X, "labels": labels}, cores=1)


def test_integral_float_labels_are_accepted() -> None:
    """Labels stored as floats with integral values are the same labels."""
    a = run_function(module(), {"x": X, "labels": np.array([3.0, 0.0])})["loss"]
    b = run_function(module(), {"x": X, "labels": np.array([3, 0])})["loss"]
    logits = X @ np.full((3, 4), 0.5, dtype=np.float32)
    logp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    assert a == b
    np.testing.assert_allclose(a, -(logp[0, 3] + logp[1, 0]) / 2, rtol=1e-6)
