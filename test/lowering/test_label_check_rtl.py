"""The cluster checks class labels itself (issue 14): before the
cross-entropy kernel reads a labels buffer, core 0 compares every label
with the class count and ends the run on the first one outside
[0, classes). The host's check (`function_inputs`) is bypassed here so the
bad labels reach the cluster; the run must stop with an error naming the
tensor, the row and the accepted range, never return a loss."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import make_module

from tdopt.dialects import train
from tdopt.interpreter import reference
from tdopt.interpreter.reference import run_function
from tdopt.runtime.cluster import ClusterError
from tdopt.tools import tdrun
from tdopt.tools.context import make_context
from tdopt.tools.rtl_run import run_on_rtl

R = np.random.default_rng(7)
LOGITS = R.standard_normal((4, 6)).astype(np.float32)


def ce_module(inputs):
    return make_module(inputs, lambda v: [train.CrossEntropyOp.make(v)])


@pytest.mark.parametrize(
    "labels,row,cores,tile",
    [([1, 5, 6, 0], 2, 2, False), ([-1, 0, 0, 0], 0, 1, False), ([0, 1, 2, 9], 3, 2, True)],
    ids=["above-2cores", "negative-1core", "last-row-tiled"],
)
def test_bad_label_stops_the_run(labels, row, cores, tile) -> None:
    inputs = {"x": LOGITS, "y": np.array(labels, np.int32)}
    with pytest.raises(ClusterError) as info:
        run_on_rtl(make_context(), ce_module(inputs), inputs, cores=cores, l1="64k",
                   tile_l1=tile, check_labels=False)
    e = info.value
    assert e.kind == "label", str(e)
    assert f"label {labels[row]} in row {row} of 'y' is not a class of the cross-entropy" in str(e)
    assert "6 classes: 0 to 5" in str(e)


def test_valid_labels_still_match_the_reference() -> None:
    inputs = {"x": LOGITS, "y": np.array([5, 0, 3, 1], np.int32)}
    (want,) = run_function(ce_module(inputs), inputs).values()
    # an independent value: -log softmax at the label, averaged (numpy)
    x = LOGITS.astype(np.float64)
    lse = np.log(np.exp(x - x.max(1, keepdims=True)).sum(1)) + x.max(1)
    expected = float(np.mean(lse - x[np.arange(4), inputs["y"]]))
    run = run_on_rtl(make_context(), ce_module(inputs), inputs, cores=2, check_labels=False)
    (got,) = run.results.values()
    assert got == pytest.approx(expected, rel=1e-5) and float(want) == pytest.approx(expected, rel=1e-5)


def test_bad_label_stops_the_gradient_kernel() -> None:
    """A module with only the cross-entropy gradient is checked too (its
    kernel reads labels next to [N, 1] row scales: the classes are the
    width of the logits)."""
    from tdopt.dialects import grad

    inputs = {"x": LOGITS, "y": np.array([0, 1, 2, 6], np.int32), "dy": np.array(1.0, np.float32)}
    module = make_module(inputs, lambda v: [grad.CrossEntropyGradOp.make(v)])
    with pytest.raises(ClusterError, match=r"label 6 in row 3 of 'y' .* 6 classes: 0 to 5"):
        run_on_rtl(make_context(), module, inputs, cores=1, check_labels=False)


STEP = """\
func.func @main(%x: tensor<3x5xf32>, %y: tensor<3xi32>) -> tensor<f32> {
  %l = train.cross_entropy %x, %y : (tensor<3x5xf32>, tensor<3xi32>) -> tensor<f32>
  func.return %l : tensor<f32>
}
"""


def test_tdrun_rtl_reports_the_cluster_check(tmp_path, monkeypatch, capsys) -> None:
    """tdrun --rtl with the host's check switched off: the cluster's
    error is one diagnostic, exit 1, no loss printed."""
    (tmp_path / "ce.mlir").write_text(STEP)
    np.savez(tmp_path / "in.npz", x=R.standard_normal((3, 5)).astype(np.float32),
             y=np.array([0, 7, 1], np.int32))
    monkeypatch.setattr(reference, "check_labels", lambda *a: None)
    code = tdrun.main([str(tmp_path / "ce.mlir"), "--rtl", "--inputs", str(tmp_path / "in.npz")])
    out, err = capsys.readouterr()
    assert code == 1 and "loss" not in out and "result" not in out, out
    assert "error: the cluster stopped the step" in err
    assert "label 7 in row 1 of 'y' is not a class of the cross-entropy (its logits have 5 classes: 0 to 4)" in err
    assert "Traceback" not in err and "internal" not in err
