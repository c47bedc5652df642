"""Conventions of a train module shared by every tool: which function to run
or transform, and the names of its arguments and results."""

from __future__ import annotations

from xdsl.dialects import func
from xdsl.dialects.builtin import ArrayAttr, ModuleOp, StringAttr

from tdopt.dialects import train


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
    names_attr = f.attributes.get("train.result_names")
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
