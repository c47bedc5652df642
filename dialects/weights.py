"""The weights file of a train module: `train.weights = "NAME.npz"` on the
module names an .npz (relative to the .mlir file) whose keys are parameter
names; every `train.param` without an inline value is loaded from it."""

from __future__ import annotations

import functools
import os
import zipfile

import numpy as np
from xdsl.dialects.builtin import ModuleOp, StringAttr
from xdsl.ir import Operation

from tdopt.dialects.train import ParamOp

WEIGHTS_ATTR = "train.weights"


class WeightsError(Exception):
    def __init__(self, message: str, op: Operation | None = None):
        super().__init__(message)
        self.message = message
        self.op = op


def weights_path(module: ModuleOp, base_dir: str) -> str | None:
    attr = module.attributes.get(WEIGHTS_ATTR)
    if attr is None:
        return None
    if not isinstance(attr, StringAttr):
        raise WeightsError(f"the module attribute {WEIGHTS_ATTR} must be a string path")
    return os.path.join(base_dir, attr.data)


def load_weights(module: ModuleOp, base_dir: str) -> dict[str, np.ndarray]:
    """Every parameter value that the module takes from its weights file,
    checked for presence, shape and dtype."""
    params = [op for op in module.walk() if isinstance(op, ParamOp) and op.value is None]
    path = weights_path(module, base_dir)
    if path is None:
        if params:
            p = params[0]
            raise WeightsError(
                f"parameter @{p.param_name} has no inline value and the module names "
                f"no weights file (add `{WEIGHTS_ATTR} = \"FILE.npz\"` to the module "
                "attributes or give the value inline)",
                p,
            )
        return {}
    if not os.path.exists(path):
        named = module.attributes[WEIGHTS_ATTR].data  # type: ignore[attr-defined]
        how = "" if os.path.isabs(named) else f", read relative to the module's folder {base_dir}"
        raise WeightsError(
            f"weights file not found: {os.path.normpath(path)} (named by {WEIGHTS_ATTR} = "
            f"\"{named}\"{how})",
            module,
        )
    try:
        st = os.stat(path)
        stored = _read_npz(os.path.abspath(path), st.st_mtime_ns, st.st_size)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
        raise WeightsError(f"cannot read weights file {path}: {e}", module) from None
    out: dict[str, np.ndarray] = {}
    for p in params:
        name = p.param_name
        if name not in stored:
            raise WeightsError(f"parameter @{name} is not in the weights file {path}", p)
        want = tuple(p.result.type.get_shape())
        got = stored[name]
        if got.shape != want:
            raise WeightsError(
                f"parameter @{name} has shape {want} but the weights file holds "
                f"shape {got.shape}",
                p,
            )
        if got.dtype.kind not in NUMERIC_KINDS:
            # strings or objects would fail deep inside the interpreter
            raise WeightsError(
                f"parameter @{name}: the weights file {path} holds an array of dtype "
                f"{got.dtype} ({_kind_name(got.dtype)}); expected numbers for "
                f"{p.result.type}",
                p,
            )
        out[name] = got
    return out


@functools.lru_cache(maxsize=4)
def _read_npz(path: str, mtime_ns: int, size: int) -> dict[str, np.ndarray]:
    """The arrays of an .npz, read once per version of the file (the driver
    checks the weights when it parses a module and the lowering reads them
    again); read-only, since callers share them."""
    with open(path, "rb") as fh:
        magic = fh.read(6)
    # np.load takes a .npy or a pickle too, and returns no archive
    if not magic.startswith(b"PK\x03\x04"):
        what = ("a .npy file (one array)" if magic == b"\x93NUMPY" else
                "an empty file" if not magic else "not a zip archive")
        raise ValueError(f"{what}; expected an .npz of named arrays (numpy.savez)")
    with np.load(path, allow_pickle=False) as data:
        stored = {k: data[k] for k in data.files}
    for a in stored.values():
        a.flags.writeable = False
    return stored


# bool, signed and unsigned integers, floats: what a parameter can hold
NUMERIC_KINDS = "biuf"


def _kind_name(dtype: np.dtype) -> str:
    return {"U": "strings", "S": "byte strings", "O": "Python objects", "c": "complex numbers",
            "M": "dates", "m": "time deltas", "V": "raw records"}.get(dtype.kind, dtype.kind)


def check_weights(module: ModuleOp, base_dir: str) -> None:
    """Check the weights file a module names against its parameters. A module
    naming none may still be transformed; running it needs the values."""
    if WEIGHTS_ATTR in module.attributes:
        load_weights(module, base_dir)


def absolutize_weights(module: ModuleOp, base_dir: str) -> None:
    """Make the weights path absolute, so passes can read it wherever the
    process runs (the driver relativizes it again when writing a file)."""
    attr = module.attributes.get(WEIGHTS_ATTR)
    if isinstance(attr, StringAttr) and not os.path.isabs(attr.data):
        module.attributes[WEIGHTS_ATTR] = StringAttr(
            os.path.abspath(os.path.join(base_dir, attr.data))
        )


def relativize_weights(module: ModuleOp, out_dir: str) -> None:
    attr = module.attributes.get(WEIGHTS_ATTR)
    if isinstance(attr, StringAttr) and os.path.isabs(attr.data):
        module.attributes[WEIGHTS_ATTR] = StringAttr(os.path.relpath(attr.data, out_dir))


def module_weights(module: ModuleOp) -> dict[str, np.ndarray]:
    """The weights a module names (absolute path), or none."""
    path = weights_path(module, "")
    if path is None or not os.path.exists(path):
        return {}
    with np.load(path) as data:
        return {k: data[k] for k in data.files}
