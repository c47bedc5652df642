"""Function-level helpers shared by the training passes: picking the function,
reading and rewriting its named results, finding parameters by name."""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.dialects import func
from xdsl.dialects.builtin import ArrayAttr, ModuleOp, StringAttr
from xdsl.ir import Operation, SSAValue
from xdsl.utils.exceptions import PassFailedException

from tdopt.dialects import train
from tdopt.dialects.train_module import FunctionChoiceError, find_function, keep_argument_names

RESULT_NAMES = "train.result_names"


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


def result_names(f: func.FuncOp) -> list[str]:
    """Names of the function results (attribute, else `loss` for a loss op's
    result and `result<i>` otherwise, like the reference interpreter)."""
    from tdopt.dialects.train_module import result_names as names

    return names(f)


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

