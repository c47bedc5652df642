"""A verification failure after a pass names the op that fails and points
at the nearest source location (the train op a kernel was lowered from),
never at the module's 1:1 (issue 13). The invalid IR is made on purpose by
passes defined here, run through `tdopt`'s own command line."""

from __future__ import annotations

from pathlib import Path

import pytest
from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.linalg.ops import GenericOp
from xdsl.dialects.builtin import ArrayAttr, FileLineColLoc, IntegerAttr, ModuleOp, TensorType, f32, i64
from xdsl.ir import Block, Region
from xdsl.passes import ModulePass

from tdopt.dialects.cluster import KERNEL
from tdopt.dialects import grad, train
from tdopt.tools import tdopt as tdopt_tool

SOURCE = """\
func.func @f(%a: tensor<2x3xf32>, %b: tensor<3x4xf32>) -> tensor<2x4xf32> {
  %r = train.relu %a : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %m = train.matmul %r, %b : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  func.return %m : tensor<2x4xf32>
}
"""


class _SwapMatmulMaps(ModulePass):
    """Swaps the indexing maps of the two inputs of the matmul kernel's
    linalg.generic: their shapes no longer agree with the loops."""

    name = "test-swap-matmul-maps"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for g in op.walk():
            if isinstance(g, GenericOp) and len(g.indexing_maps) == 3 and g.parent_op().sym_name.data.startswith("k_matmul"):
                maps = list(g.indexing_maps.data)
                g.indexing_maps = ArrayAttr([maps[1], maps[0], *maps[2:]])
                return
        raise AssertionError("no matmul kernel")


class _AddBadFunction(ModulePass):
    """Adds a function (no source location) holding a train.add whose
    declared result type is wrong."""

    name = "test-add-bad-function"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        t = TensorType(f32, [2, 3])
        block = Block(arg_types=[t, t])
        bad = train.AddOp.create(operands=list(block.args), result_types=[TensorType(f32, [3, 2])])
        block.add_ops([bad, func.ReturnOp()])
        op.body.block.add_op(func.FuncOp("extra", ([t, t], []), Region(block)))


class _BreakGradSoftmax(ModulePass):
    """Gives the grad.softmax that train-autodiff emitted an axis out of
    range."""

    name = "test-break-grad-softmax"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for g in op.walk():
            if isinstance(g, grad.SoftmaxGradOp):
                g.properties["axis"] = IntegerAttr(5, i64)
                return
        raise AssertionError("no grad.softmax")


class _Crash(ModulePass):
    """A plugin's pass with a bug."""

    name = "test-crash"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        raise ZeroDivisionError("the plugin's own bug")


_Crash.__module__ = "some_plugin.passes"


def run_tdopt(tmp_path: Path, monkeypatch, capsys, source: str, *argv: str) -> str:
    src = tmp_path / "m.mlir"
    src.write_text(source)
    original = tdopt_tool.TdoptMain.register_all_passes

    def with_test_passes(self) -> None:
        original(self)
        for p in (_SwapMatmulMaps, _AddBadFunction, _BreakGradSoftmax, _Crash):
            self.available_passes[p.name] = lambda p=p: p

    monkeypatch.setattr(tdopt_tool.TdoptMain, "register_all_passes", with_test_passes)
    monkeypatch.delenv("TDOPT_TRACEBACK", raising=False)
    assert tdopt_tool.main([str(src), *argv]) == 1
    return capsys.readouterr().err


def test_a_broken_kernel_is_reported_at_the_train_op_it_was_lowered_from(tmp_path, monkeypatch, capsys):
    err = run_tdopt(tmp_path, monkeypatch, capsys, SOURCE, "-p", "convert-train-to-linalg,linalg-generalize-named-ops,test-swap-matmul-maps",
                    "--verify-each")
    first, source_line, caret = err.splitlines()[:3]
    # line 3, column 3 of m.mlir: the train.matmul
    assert first.startswith(f"{tmp_path / 'm.mlir'}:3:3: error: after pass 'test-swap-matmul-maps': "
                            "'linalg.generic' in kernel @k_matmul_"), err
    assert "(lowered from 'train.matmul'): " in first
    assert "inferred input/output operand" in first  # xDSL's own message follows
    assert source_line == SOURCE.splitlines()[2]
    assert caret == "  ^"
    assert ":1:1:" not in err and "Traceback" not in err


def test_an_op_without_any_location_is_shown_as_text(tmp_path, monkeypatch, capsys):
    err = run_tdopt(tmp_path, monkeypatch, capsys, SOURCE, "-p", "test-add-bad-function")
    (first,) = err.splitlines()
    # the module gives the file, not a line; the op's text says which op
    assert first.startswith(f"{tmp_path / 'm.mlir'}: error: after pass 'test-add-bad-function': "
                            "'train.add' in @extra: 'train.add': result type tensor<3x2xf32>"), err
    assert first.endswith("; the op: %0 = train.add %1, %2 : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<3x2xf32>")


LOSS = """\
func.func @f(%a: tensor<2x3xf32>) -> tensor<f32> {
  %w = train.param @w trainable = dense<0.5> : tensor<2x3xf32>
  %x = train.mul %a, %w : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %s = train.softmax %x {axis = 1 : i64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %l = train.reduce_sum %s {axes = array<i64>} : (tensor<2x3xf32>) -> tensor<f32>
  func.return %l : tensor<f32>
}
"""


def test_a_broken_gradient_op_is_reported_at_its_forward_op(tmp_path, monkeypatch, capsys):
    # train-autodiff gives the backward ops the location of their forward op
    err = run_tdopt(tmp_path, monkeypatch, capsys, LOSS, "-p", "train-autodiff,test-break-grad-softmax",
                    "--verify-each")
    first, source_line = err.splitlines()[:2]
    assert first.startswith(f"{tmp_path / 'm.mlir'}:4:3: error: after pass 'test-break-grad-softmax': "
                            "'grad.softmax': axis 5 is out of range"), err
    assert source_line == LOSS.splitlines()[3]


def test_kernels_carry_the_location_of_their_op(tmp_path):
    from tdopt.lowering.train_to_linalg import ConvertTrainToLinalgPass
    from tdopt.tools.context import make_context
    from tdopt.tools.diagnostics import parse_module

    ctx = make_context()
    module = parse_module(ctx, SOURCE, "m.mlir")
    ConvertTrainToLinalgPass().apply(ctx, module)
    kernels = {f.sym_name.data: f.location for f in module.ops if isinstance(f, func.FuncOp) and KERNEL
               in f.attributes}
    lines = {name.split("_")[1]: loc.line.data for name, loc in kernels.items() if isinstance(loc, FileLineColLoc)}
    assert lines == {"relu": 2, "matmul": 3}


@pytest.mark.parametrize("bad", ["linalg", "none"])
def test_verify_module_names_the_failing_op(bad: str):
    # the helper itself, as tdrun uses it: no pass prefix
    from tdopt.tools.context import make_context
    from tdopt.tools.diagnostics import Diagnostic, parse_module, verify_module

    ctx = make_context()
    module = parse_module(ctx, SOURCE, "m.mlir")
    if bad == "linalg":
        from tdopt.lowering.train_to_linalg import ConvertTrainToLinalgPass

        from xdsl.transforms.linalg_generalize_named_ops import LinalgGeneralizeNamedOpsPass

        ConvertTrainToLinalgPass().apply(ctx, module)
        LinalgGeneralizeNamedOpsPass().apply(ctx, module)
        _SwapMatmulMaps().apply(ctx, module)
        want = "'linalg.generic' in kernel @k_matmul_"
    else:
        _AddBadFunction().apply(ctx, module)
        want = "'train.add' in @extra: "
    with pytest.raises(Diagnostic) as info:
        verify_module(module, {"m.mlir": SOURCE})
    assert info.value.message.startswith(want)
    assert info.value.line != 1


# Verification at the ends of the pipeline's levels (the default) and after
# every pass (--verify-each): a broken pass is caught either way, by the
# span of passes since the last check, or by name.
LEVEL_PIPELINE = ("train-autodiff,test-break-grad-softmax,train-sgd{lr=0.1},train-schedule-updates,"
                  "convert-train-to-linalg,linalg-generalize-named-ops,plan-memory")


def test_a_broken_pass_is_caught_at_the_end_of_the_train_level(tmp_path, monkeypatch, capsys):
    err = run_tdopt(tmp_path, monkeypatch, capsys, LOSS, "-p", LEVEL_PIPELINE)
    first = err.splitlines()[0]
    # the two passes after the broken one do not check the IR; the check
    # before convert-train-to-linalg (the next level) does
    assert first.startswith(
        f"{tmp_path / 'm.mlir'}:4:3: error: in passes 'train-autodiff' to 'train-schedule-updates' "
        "(#1-#4 of the pipeline; found at the end of the train level, --verify-each names the pass): "
        "'grad.softmax': axis 5 is out of range"), err


def test_verify_each_names_the_broken_pass(tmp_path, monkeypatch, capsys):
    err = run_tdopt(tmp_path, monkeypatch, capsys, LOSS, "-p", LEVEL_PIPELINE, "--verify-each")
    assert err.splitlines()[0].startswith(
        f"{tmp_path / 'm.mlir'}:4:3: error: after pass 'test-break-grad-softmax': "
        "'grad.softmax': axis 5 is out of range"), err


@pytest.mark.parametrize("verify_each", [False, True])
def test_a_broken_extension_pass_is_caught_at_the_end_of_the_linalg_level(tmp_path, monkeypatch, capsys,
                                                                        verify_each):
    # a plugin pass at the preset's --before-riscv point breaks a kernel: the
    # RISC-V lowering never sees it
    flags = ["--emit=asm", "--before-riscv=test-swap-matmul-maps"] + (["--verify-each"] if verify_each else [])
    err = run_tdopt(tmp_path, monkeypatch, capsys, SOURCE, *flags)
    where = ("after pass 'test-swap-matmul-maps'" if verify_each else
             "in passes 'convert-train-to-linalg' to 'kernel-dedup' (#3-#11 of the pipeline; "
             "found at the end of the linalg level, --verify-each names the pass)")
    assert err.splitlines()[0].startswith(
        f"{tmp_path / 'm.mlir'}:3:3: error: {where}: 'linalg.generic' in kernel @k_matmul_"), err


def test_verify_each_and_disable_verify_exclude_each_other(tmp_path, monkeypatch, capsys):
    err = run_tdopt(tmp_path, monkeypatch, capsys, SOURCE, "-p", "cse", "--verify-each", "--disable-verify")
    assert err.strip() == "error: choose one of --verify-each and --disable-verify", err


@pytest.mark.parametrize("verify_each", [False, True])
def test_a_crash_on_unverified_input_says_so(tmp_path, monkeypatch, capsys, verify_each):
    # the pass that crashes may have been fed invalid IR: without
    # --verify-each the message says since when the input was not verified
    flags = ["--verify-each"] if verify_each else []
    err = run_tdopt(tmp_path, monkeypatch, capsys, LOSS, "-p", "train-autodiff,test-break-grad-softmax,test-crash",
                    *flags)
    first = err.splitlines()[0]
    if verify_each:
        assert "after pass 'test-break-grad-softmax': 'grad.softmax': axis 5" in first, err
    else:
        assert first == (
            f"error: pass 'test-crash' (from some_plugin.passes) failed on {tmp_path / 'm.mlir'}: "
            "ZeroDivisionError: the plugin's own bug (TDOPT_TRACEBACK=1 shows the traceback; its "
            "input was not verified since pass 'train-autodiff', --verify-each checks after every "
            "pass)"), err


def test_a_kernel_out_of_registers_is_reported_at_its_train_op(tmp_path, monkeypatch, capsys):
    """A kernel the allocator cannot fit (here: a register file of four
    integer and four float registers, so every kernel fails) is named with
    the op it was lowered from, at that op's line, with what ran out and
    what to try; not at the module's 1:1, not an internal error."""
    from xdsl.dialects.riscv import Registers

    from tdopt.backend import riscv_allocation as riscv_registers

    monkeypatch.setattr(riscv_registers, "ALLOCATABLE", (*Registers.T[:4], *Registers.FT[:4]))
    err = run_tdopt(tmp_path, monkeypatch, capsys, SOURCE, "--emit=asm", "--cores", "1")
    first, source_line, caret = err.splitlines()[:3]
    # the first kernel allocated, the matmul, on line 3
    assert first.startswith(f"{tmp_path / 'm.mlir'}:3:3: error: riscv-allocate-registers-full: kernel @k_matmul_"), err
    assert "(lowered from 'train.matmul') needs more registers than the 4 integer and 4 float" in first
    assert "--cores or --tile-l1" in first
    assert source_line == SOURCE.splitlines()[2] and caret == "  ^"
    assert ":1:1:" not in err and "internal compiler error" not in err
