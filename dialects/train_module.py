"""Conventions of a train module shared by every tool and training pass:
which function to run or transform, the names of its arguments and results,
its parameters, and the errors a training pass reports about them."""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.dialects import func
from xdsl.dialects.builtin import ArrayAttr, ModuleOp, StringAttr, TensorType
from xdsl.ir import Operation, SSAValue
from xdsl.utils.exceptions import PassFailedException

from tdopt.dialects import train

# the function attribute naming the results
RESULT_NAMES = "train.result_names"
# the function attribute train-autodiff leaves on the step it differentiated
# (its counts of forward and backward ops)
AUTODIFF_STATS = "train.autodiff"


class FunctionChoiceError(Exception):
    """No function of that name, or several and none chosen."""


def find_function(
    module: ModuleOp, name: str | None = None, how_to_choose: str = "--function"
) -> func.FuncOp:
    """The function `name`, or the only defined one."""
    funcs = [op for op in module.ops if isinstance(op, func.FuncOp) and not op.is_declaration]
    if name is not None:
        for f in funcs:
            if f.sym_name.data == name:
                return f
        raise FunctionChoiceError(f"no function @{name} in the module")
    if len(funcs) != 1:
        names = ", ".join("@" + f.sym_name.data for f in funcs) or "none"
        raise FunctionChoiceError(
            f"expected exactly one function in the module, found {names}; "
            f"choose one with {how_to_choose}"
        )
    return funcs[0]


# the function attribute naming the arguments (inputs); SSA name hints are
# not enough: upstream MLIR drops them (`%image` prints as `%arg0`)
ARG_NAMES = "train.arg_names"


def argument_names(f: func.FuncOp) -> list[str]:
    """Argument names: the function attribute `train.arg_names` (importers,
    generators and the training passes write it; it holds names SSA names
    cannot, e.g. `input.0`, and survives tools that drop SSA names), else the
    SSA name hints (`%x` -> `x`), else `arg<i>`."""
    names_attr = f.attributes.get(ARG_NAMES)
    if names_attr is not None:
        names = [s.data for s in names_attr.data]  # type: ignore[attr-defined]
        if len(names) != len(f.body.block.args):
            raise ValueError(
                f"@{f.sym_name.data}: {ARG_NAMES} names {len(names)} arguments, "
                f"the function has {len(f.body.block.args)}"
            )
        return names
    return [a.name_hint or f"arg{i}" for i, a in enumerate(f.body.block.args)]


def keep_argument_names(f: func.FuncOp) -> None:
    """Record the argument names in `train.arg_names` (if not there yet), so
    they survive a printer or tool that drops SSA name hints."""
    if ARG_NAMES not in f.attributes:
        f.attributes[ARG_NAMES] = ArrayAttr([StringAttr(n) for n in argument_names(f)])


def result_names(f: func.FuncOp) -> list[str]:
    """Result names from the `train.result_names` function attribute (set by
    importers and training passes), else `result<i>`; a scalar result produced
    by a loss op is `loss`."""
    names_attr = f.attributes.get(RESULT_NAMES)
    n = len(f.function_type.outputs.data)
    if names_attr is not None:
        return [s.data for s in names_attr.data]  # type: ignore[attr-defined]
    ret = f.body.block.last_op
    names = []
    for i in range(n):
        v = ret.operands[i] if ret is not None and i < len(ret.operands) else None
        if v is not None and isinstance(v.owner, train.LOSS_OPS):
            names.append("loss")
        else:
            names.append(f"result{i}")
    return names


class TrainPassError(PassFailedException):
    """A training pass failure that names the op at fault, so a driver can
    point at its source line (`op` may be None)."""

    def __init__(self, message: str, op: Operation | None = None):
        super().__init__(message)
        self.op = op


def the_function(pass_name: str, module: ModuleOp, name: str | None) -> func.FuncOp:
    """The function a training pass transforms: `name`, or the only one. Its
    argument names are recorded in `train.arg_names` (a training step keeps
    its input names through tools that drop SSA names, e.g. upstream MLIR)."""
    try:
        f = find_function(module, name, how_to_choose="the `function` option")
    except FunctionChoiceError as e:
        raise PassFailedException(f"{pass_name}: {e}") from None
    keep_argument_names(f)
    return f


def return_op(f: func.FuncOp) -> func.ReturnOp:
    ret = f.get_return_op()
    if ret is None:
        raise PassFailedException(f"@{f.sym_name.data} has no func.return")
    return ret


def set_results(f: func.FuncOp, values: Sequence[SSAValue], names: Sequence[str]) -> None:
    """Make the function return `values`, named `names`."""
    ret = return_op(f)
    ret.operands = list(values)
    f.update_function_type()
    f.attributes[RESULT_NAMES] = ArrayAttr([StringAttr(n) for n in names])


def params(f: func.FuncOp) -> list[train.ParamOp]:
    """Parameters of the function in program order."""
    return [op for op in f.walk() if isinstance(op, train.ParamOp)]


def params_by_name(f: func.FuncOp) -> dict[str, train.ParamOp]:
    return {p.param_name: p for p in params(f)}


def loss_value(f: func.FuncOp, pass_name: str) -> SSAValue:
    """The result to differentiate: the one named `loss`, else the only one
    (a rank-0 float tensor); else a TrainPassError of `pass_name`."""
    ret = return_op(f)
    names = result_names(f)
    if "loss" in names:
        v = ret.operands[names.index("loss")]
    elif len(ret.operands) == 1:
        v = ret.operands[0]
    else:
        raise TrainPassError(
            f"{pass_name}: @{f.sym_name.data} returns {len(ret.operands)} results and none "
            f"is named 'loss' (results: {', '.join(names)})",
            ret,
        )
    t = v.type
    if not isinstance(t, TensorType) or t.get_num_dims() != 0:
        raise TrainPassError(
            f"{pass_name}: the loss of @{f.sym_name.data} must be a scalar (rank-0 tensor), "
            f"got {t}; end the function with a loss op (train.cross_entropy, train.mse) "
            "or a full reduction",
            ret,
        )
    if not isinstance(t.element_type, train.FLOAT_TYPES):
        raise TrainPassError(f"{pass_name}: the loss must be f32 or f64, got {t}", ret)
    return v
