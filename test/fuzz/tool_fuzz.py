"""Property-based fuzzer of the tools' inputs (issue 14, part 2, the second
strategy): start from valid inputs and mutate them as a careless user
would, then run the tool.

Seeds (`write_seeds`): a train module with a trainable matmul and a
cross-entropy loss (`step.mlir`), its weights (`w.npz`), its inputs
(`in.npz`: logits input `x`, labels `y`), the expected loss computed with
numpy (`expect.npz`), an ONNX model (`model.onnx`: Gemm + Relu), and a
valid command line for each tool:

    tdrun step.mlir --reference --inputs in.npz -o out.npz [--expect expect.npz]
    tdrun step.mlir --rtl --cores 2 --inputs in.npz -o out.npz          (1 in K)
    tdopt step.mlir --finetune=w --emit=train|linalg|asm -o out.mlir
    tdimport model.onnx -o imp.mlir --trainable W --loss cross-entropy --label lab
    tdbench --rows gemm64 --cores 2 --tile-l1 none --csv t.csv

A case (`ToolCase`) picks a tool and 1 to 3 mutations (`MUTATIONS`): of a
file (truncate it, flip a byte, delete it, put a folder in its place; in
an .npz: drop, rename, retype, reshape an array, labels out of range,
negative, fractional or beyond int32, NaN/Inf; in MLIR text: delete,
duplicate or garble a line, change a dimension) or of the command line
(drop or duplicate a flag, a bad value for a flag, an extra flag with a
good or bad value, an output path onto an input, into a missing folder or
onto a folder). The tool runs in this process (its `main(argv)`).

Properties (`check_case`; each failure is one line):
  (a) exit 0, or a non-zero exit with a diagnostic (`error:` on stderr,
      or tdrun's `MISMATCH` line); never "Traceback", "internal compiler
      error", an uncaught exception or a hang (`TIMEOUT` seconds);
  (b) an input file is never modified; a failed run leaves no output file
      it did not find, and no run leaves a temporary file;
  (c) exit 0 gives the correct result, computed independently with numpy
      from the (mutated) files as the tools document them: tdrun's loss
      equals numpy's cross-entropy of x @ w; an input the tools must
      reject (labels outside [0, classes), fractional labels, wrong
      shapes, missing arrays) is never accepted; tdopt's `--emit=train`
      step, run by the reference interpreter, equals numpy's loss and SGD
      update; tdimport's module equals numpy's forward of the ONNX graph;
  (d) tdbench runs its row on the RTL only in 1 in K cases (`rtl_rate`):
      otherwise the run stops where the row would start (every check of
      its flags and paths is done by then), counted as `validated`.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import shutil
import signal
import sys
import tempfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from hypothesis import strategies as st
from runner import one_in

TIMEOUT = 120  # seconds per run (an RTL run of the seed step takes a few)
LR = 0.01  # tdopt's default --lr (train-sgd)
X_SHAPE, W_SHAPE, CLASSES = (3, 4), (4, 5), 5
ONNX_X, ONNX_W = (2, 8), (8, 6)  # the weights go to a .npz (> 64 bytes)

STEP = """\
builtin.module attributes {train.weights = "w.npz"} {
  func.func @main(%x: tensor<3x4xf32>, %y: tensor<3xi32>) -> tensor<f32> {
    %w = train.param @w trainable : tensor<4x5xf32>
    %z = train.matmul %x, %w : (tensor<3x4xf32>, tensor<4x5xf32>) -> tensor<3x5xf32>
    %l = train.cross_entropy %z, %y : (tensor<3x5xf32>, tensor<3xi32>) -> tensor<f32>
    func.return %l : tensor<f32>
  }
}
"""


# ---------------------------------------------------------------------------
# seeds and the numpy oracle
# ---------------------------------------------------------------------------


def ce_loss(logits: np.ndarray, labels: np.ndarray) -> float:
    """Mean softmax cross-entropy (float64 numpy)."""
    z = logits.astype(np.float64)
    m = z.max(axis=1, keepdims=True)
    lse = np.log(np.exp(z - m).sum(axis=1)) + m[:, 0]
    return float(np.mean(lse - z[np.arange(len(z)), labels]))


def ce_grad(logits: np.ndarray, labels: np.ndarray) -> np.ndarray:
    z = logits.astype(np.float64)
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    p[np.arange(len(z)), labels] -= 1.0
    return p / len(z)


def write_seeds(d: str) -> None:
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    r = np.random.default_rng(14)
    x = r.standard_normal(X_SHAPE).astype(np.float32)
    w = r.standard_normal(W_SHAPE).astype(np.float32)
    y = np.array([4, 0, 2], np.int32)
    with open(os.path.join(d, "step.mlir"), "w") as fh:
        fh.write(STEP)
    np.savez(os.path.join(d, "w.npz"), w=w)
    np.savez(os.path.join(d, "in.npz"), x=x, y=y)
    np.savez(os.path.join(d, "expect.npz"), loss=np.float32(ce_loss(x.astype(np.float64) @ w, y)))
    g = helper.make_graph(
        [helper.make_node("Gemm", ["x", "W", "B"], ["h"], name="fc"),
         helper.make_node("Relu", ["h"], ["y"], name="act")],
        "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(ONNX_X))],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [ONNX_X[0], ONNX_W[1]])],
        [numpy_helper.from_array(r.standard_normal(ONNX_W).astype(np.float32), "W"),
         numpy_helper.from_array(r.standard_normal(ONNX_W[1]).astype(np.float32), "B")])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]),
              os.path.join(d, "model.onnx"))


class Reject(Exception):
    """The oracle: the tools must refuse this input."""


class Unknown(Exception):
    """The oracle does not judge this input (either outcome is fine)."""


def load_npz(path: str) -> dict[str, np.ndarray]:
    """numpy's own reading of an .npz (the oracle's): Reject if it is not one."""
    if not os.path.isfile(path):
        raise Reject(f"{path} is not a file")
    try:
        with np.load(path, allow_pickle=False) as data:
            if not hasattr(data, "files"):
                raise Reject("a .npy, not an .npz")
            return {k: data[k] for k in data.files}
    except Reject:
        raise
    except Exception as e:
        raise Reject(f"numpy cannot read it: {type(e).__name__}") from None


def numeric(a: np.ndarray, what: str) -> np.ndarray:
    if a.dtype.kind not in "biuf":
        raise Reject(f"{what} has dtype {a.dtype}")
    return a


def as_labels(a: np.ndarray, n: int, classes: int) -> np.ndarray:
    """Labels as the tools document them: integers (exact integer floats
    are accepted) in [0, classes), shape [n]."""
    numeric(a, "labels")
    if a.shape != (n,):
        raise Reject(f"labels have shape {a.shape}")
    v = a.astype(np.float64) if a.dtype.kind in "bf" else a
    if a.dtype.kind == "f" and (not np.all(np.isfinite(v)) or np.any(v != np.round(v))):
        raise Reject("fractional or non-finite labels")
    if np.any(v < 0) or np.any(v >= classes):
        raise Reject("labels out of range")
    return v.astype(np.int64)


def as_floats(a: np.ndarray, shape: tuple[int, ...], what: str) -> np.ndarray:
    numeric(a, what)
    if a.shape != shape:
        raise Reject(f"{what} has shape {a.shape}")
    # the tools compute in float32: the value they see
    return a.astype(np.float32).astype(np.float64)


def step_files_oracle(d: str, originals: dict[str, bytes]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x, y, w) as the step must read them, or Reject / Unknown."""
    if _read(os.path.join(d, "step.mlir")) != originals["step.mlir"]:
        raise Unknown("the module text was mutated")
    inputs = load_npz(os.path.join(d, "in.npz"))
    weights = load_npz(os.path.join(d, "w.npz"))
    for name in ("x", "y"):
        if name not in inputs:
            raise Reject(f"input {name} missing")
    if "w" not in weights:
        raise Reject("weight w missing")
    if set(weights) != {"w"}:
        raise Unknown("extra arrays in the weights")
    x = as_floats(inputs["x"], X_SHAPE, "x")
    w = as_floats(weights["w"], W_SHAPE, "w")
    y = as_labels(inputs["y"], X_SHAPE[0], CLASSES)
    return x, y, w


def _read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError:
        return None


# ---------------------------------------------------------------------------
# cases and mutations
# ---------------------------------------------------------------------------

TOOLS = ("tdrun", "tdrun-rtl", "tdopt", "tdimport", "tdbench")

INPUTS = {  # the input files of each tool (mutation targets)
    "tdrun": ("step.mlir", "in.npz", "w.npz", "expect.npz"),
    "tdrun-rtl": ("step.mlir", "in.npz", "w.npz"),
    "tdopt": ("step.mlir", "w.npz"),
    "tdimport": ("model.onnx",),
    "tdbench": (),
}
OUTPUTS = {"tdrun": ("out.npz",), "tdrun-rtl": ("out.npz",), "tdopt": ("out.mlir",),
           "tdimport": ("imp.mlir", "imp.npz"), "tdbench": ("t.csv",)}

# per flag: values a user might give, good and bad (`{d}`: the case folder)
FLAG_VALUES: dict[str, tuple[str, ...]] = {
    "--cores": ("1", "2", "8", "0", "9", "-1", "x", "", "2.5"),
    "--l1": ("64k", "128k", "256k", "5", "96k", "x", ""),
    "--tile-l1": ("64k", "128k", "1k", "0", "none", "abc", "", "64K"),
    "--l2": ("2m", "1m", "0", "x", "512k"),
    "--max-cycles": ("5000000", "0", "-3", "x", "1"),
    "--lr": ("0.01", "0.00001", "1e30", "nan", "inf", "-1", "x", ""),
    "--finetune": ("w", "x", "", "*", "1", "nothing"),
    "--emit": ("train", "linalg", "asm", "riscv", ""),
    "--lora-rank": ("2", "0", "-1", "99", "x"),
    "-p": ("train-autodiff", "no-such-pass", "train-sgd{lr=x}", "canonicalize", ""),
    "-t": ("mlir", "riscv-asm", "x86-asm", "wgsl", "nope"),
    "--trainable": ("W", "B", "W,B", "nope", "", "*", "@{d}/names.txt", "@{d}/missing.txt"),
    "--loss": ("cross-entropy", "mse", "hinge", ""),
    "--label": ("lab", "x", "", "W"),
    "--inline-threshold": ("64", "0", "-5", "100000", "x"),
    "--rows": ("gemm64", "", ",", "nope", "gemm64,nope", " "),
    "--atol": ("1e-4", "-1", "nan", "x"),
    "--rtol": ("1e-4", "0", "x"),
    "--function": ("main", "nope", ""),
    "--inputs": ("{d}/in.npz", "{d}/missing.npz", "{d}", "{d}/step.mlir", "/dev/null", "{d}/w.npz"),
    "--expect": ("{d}/expect.npz", "{d}/in.npz", "{d}/missing.npz", "{d}/step.mlir"),
    "--keep": ("{d}/keep", "{d}/missing/keep", "{d}/step.mlir"),
}
OUTPUT_VALUES = ("{d}/step.mlir", "{d}/in.npz", "{d}/w.npz", "{d}/model.onnx", "{d}/missing/o.npz",
                 "{d}", "/dev/null", "{d}/o.txt", "{d}/o.mlir", "{d}/o.npz", "{d}/keep/o.npz")
FLAGS_OF = {
    "tdrun": ("--cores", "--l1", "--tile-l1", "--l2", "--max-cycles", "--keep", "--expect",
              "--atol", "--rtol", "--function", "--inputs", "--rtl", "--reference", "-o"),
    "tdopt": ("--lr", "--finetune", "--emit", "--tile-l1", "--cores", "--l2", "--lora",
              "--lora-rank", "-p", "-t", "--stats", "--verify-each", "-o"),
    "tdimport": ("--trainable", "--loss", "--label", "--inline-threshold", "-o"),
    "tdbench": ("--rows", "--cores", "--tile-l1", "--max-cycles", "--csv", "--plot",
                "--profile-csv", "--quick", "--list"),
}
FLAGS_OF["tdrun-rtl"] = FLAGS_OF["tdrun"]
SWITCHES = {"--rtl", "--reference", "--lora", "--stats", "--verify-each", "--quick", "--list"}


def base_argv(tool: str, emit: str, expect: bool) -> list[str]:
    if tool == "tdrun":
        argv = ["{d}/step.mlir", "--reference", "--inputs", "{d}/in.npz", "-o", "{d}/out.npz"]
        return argv + (["--expect", "{d}/expect.npz"] if expect else [])
    if tool == "tdrun-rtl":
        return ["{d}/step.mlir", "--rtl", "--cores", "2", "--inputs", "{d}/in.npz", "-o", "{d}/out.npz"]
    if tool == "tdopt":
        return ["{d}/step.mlir", "--finetune", "w", "--emit", emit, "-o", "{d}/out.mlir"]
    if tool == "tdimport":
        return ["{d}/model.onnx", "-o", "{d}/imp.mlir", "--trainable", "W", "--loss",
                "cross-entropy", "--label", "lab"]
    return ["--rows", "gemm64", "--cores", "2", "--tile-l1", "none", "--csv", "{d}/t.csv"]


@dataclass(frozen=True)
class Mutation:
    kind: str
    target: str = ""  # a file or a flag
    arg: object = None

    def __str__(self) -> str:
        return f"{self.kind}({self.target}{', ' + repr(self.arg) if self.arg is not None else ''})"


@dataclass
class ToolCase:
    tool: str
    argv: list[str]  # with `{d}` for the case folder
    mutations: list[Mutation]
    run_rows: bool = False  # tdbench: run the row on the RTL

    def describe(self) -> str:
        return f"{self.tool} {' '.join(self.argv)} | {'; '.join(map(str, self.mutations))}"


NPZ_KINDS = ("drop", "rename", "retype", "reshape", "labels", "nonfinite", "extra", "empty", "npy")
TEXT_KINDS = ("delete_line", "duplicate_line", "garble_line", "dimension")
FILE_KINDS = ("truncate", "flip", "remove", "folder")
RETYPES = ("float64", "float16", "int32", "int64", "uint8", "bool", "complex64", "<U1", "object")
LABELS = (-1, CLASSES, 99, 1.7, 2.0, -0.0, float("nan"), 2**32 + 1, -(2**31) - 1, 2**40)


@st.composite
def file_mutation(draw, tool: str) -> Mutation:
    files = list(INPUTS[tool])
    if "in.npz" in files:  # the inputs: the likeliest to be wrong
        files += ["in.npz"] * 2
    target = draw(st.sampled_from(files))
    kinds = list(FILE_KINDS)
    if target.endswith(".npz"):
        kinds += list(NPZ_KINDS) * 3
    if target == "in.npz":
        kinds += ["labels", "retype", "nonfinite"] * 3
    if target.endswith(".mlir"):
        kinds += list(TEXT_KINDS)
    kind = draw(st.sampled_from(kinds))
    arg: object = None
    if kind == "truncate":
        arg = draw(st.floats(0.0, 0.99))
    elif kind == "flip":
        arg = (draw(st.floats(0.0, 0.999)), draw(st.integers(1, 255)))
    elif kind in ("drop", "rename", "reshape", "nonfinite"):
        arg = (draw(st.integers(0, 3)), draw(st.sampled_from(["X", "y ", "", "w", "x", "loss", "lab"])))
    elif kind == "retype":
        arg = (draw(st.integers(0, 3)), draw(st.sampled_from(RETYPES)))
    elif kind == "labels":
        arg = (draw(st.integers(0, 2)), draw(st.sampled_from(LABELS)))
    elif kind in TEXT_KINDS:
        arg = (draw(st.integers(0, 8)), draw(st.integers(0, 40)), draw(st.sampled_from(["0", "9", "-1", "%", "}", "?", "é"])))
    return Mutation(kind, target, arg)


@st.composite
def flag_mutation(draw, tool: str, argv: list[str]) -> Mutation:
    kind = draw(st.sampled_from(["drop", "duplicate", "value", "extra", "extra", "output", "unknown"]))
    if kind in ("drop", "duplicate", "value"):
        return Mutation("flag_" + kind, "", draw(st.integers(0, len(argv) - 1)))
    if kind == "output":
        return Mutation("flag_output", "", draw(st.sampled_from(OUTPUT_VALUES)))
    if kind == "unknown":
        return Mutation("flag_unknown", draw(st.sampled_from(["--bogus", "-z", "--rows", "--lr", "x.mlir"])))
    flag = draw(st.sampled_from(FLAGS_OF[tool]))
    values = FLAG_VALUES.get(flag, OUTPUT_VALUES if flag in ("-o", "--csv", "--plot", "--profile-csv") else ())
    value = None if flag in SWITCHES else draw(st.sampled_from(values))
    return Mutation("flag_extra", flag, value)


@st.composite
def tool_cases(draw, rtl_rate: int = 0) -> ToolCase:
    tools = ["tdrun", "tdrun", "tdopt", "tdopt", "tdimport", "tdbench"]
    if rtl_rate and one_in(draw, rtl_rate):
        tools = ["tdrun-rtl", "tdbench"]
    tool = draw(st.sampled_from(tools))
    argv = base_argv(tool, draw(st.sampled_from(["train", "linalg", "asm"])), draw(st.booleans()))
    muts = []
    for _ in range(draw(st.integers(1, 3))):
        if INPUTS[tool] and draw(st.booleans()):
            muts.append(draw(file_mutation(tool)))
        else:
            muts.append(draw(flag_mutation(tool, argv)))
    run_rows = tool == "tdbench" and bool(rtl_rate) and one_in(draw, rtl_rate)
    return ToolCase(tool, argv, muts, run_rows)


def _stable(text: str) -> int:
    """A hash that is the same in every process (str's is salted)."""
    return zlib.crc32(text.encode())


def takes_value(flag: str) -> bool:
    return flag.startswith("-") and flag not in SWITCHES and "=" not in flag


def apply_flag(argv: list[str], m: Mutation, tool: str) -> list[str]:
    argv = list(argv)
    if m.kind == "flag_output":
        out_flag = "--csv" if tool == "tdbench" else "-o"
        if out_flag in argv:
            argv[argv.index(out_flag) + 1] = str(m.arg)
        else:
            argv += [out_flag, str(m.arg)]
        return argv
    if m.kind == "flag_unknown":
        return argv + [m.target]
    if m.kind == "flag_extra":
        return argv + [m.target] + ([] if m.arg is None else [str(m.arg)])
    i = int(m.arg) % len(argv)  # type: ignore[arg-type]
    # the flag at or before i, with its value
    if not argv[i].startswith("-") and i > 0 and takes_value(argv[i - 1]):
        i -= 1
    span = 2 if takes_value(argv[i]) and i + 1 < len(argv) else 1
    if m.kind == "flag_drop":
        return argv[:i] + argv[i + span:]
    if m.kind == "flag_duplicate":
        return argv + argv[i:i + span]
    # flag_value: a value from the flag's pool
    if span == 2:
        values = FLAG_VALUES.get(argv[i], OUTPUT_VALUES)
        argv[i + 1] = values[_stable(f'{m.arg}{argv[i]}') % len(values)]
    else:  # the positional input: another file, a folder, nothing there
        argv[i] = ("{d}/in.npz", "{d}", "{d}/missing.mlir", "{d}/w.npz", "/dev/null")[int(m.arg) % 5]  # type: ignore[arg-type]
    return argv


def apply_file(d: str, m: Mutation) -> None:
    path = os.path.join(d, m.target)
    data = _read(path) or b""
    if m.kind == "truncate":
        _write(path, data[: int(len(data) * float(m.arg))])  # type: ignore[arg-type]
    elif m.kind == "flip":
        pos, x = m.arg  # type: ignore[misc]
        if data:
            i = int(pos * len(data))
            _write(path, data[:i] + bytes([data[i] ^ x]) + data[i + 1:])
    elif m.kind == "remove":
        if os.path.isfile(path):
            os.remove(path)
    elif m.kind == "folder":
        if os.path.isfile(path):
            os.remove(path)
        os.makedirs(path, exist_ok=True)
    elif not os.path.isfile(path):
        return  # removed or a folder by an earlier mutation
    elif m.kind in TEXT_KINDS:
        mutate_text(path, data, m)
    else:
        mutate_npz(path, m)


def _write(path: str, data: bytes) -> None:
    if os.path.isfile(path):
        with open(path, "wb") as fh:
            fh.write(data)


def mutate_text(path: str, data: bytes, m: Mutation) -> None:
    lines = data.decode("utf-8", "replace").splitlines(keepends=True)
    if not lines:
        return
    n, col, text = m.arg  # type: ignore[misc]
    i = n % len(lines)
    if m.kind == "delete_line":
        del lines[i]
    elif m.kind == "duplicate_line":
        lines.insert(i, lines[i])
    elif m.kind == "garble_line":
        c = col % max(1, len(lines[i]))
        lines[i] = lines[i][:c] + text + lines[i][c + 1:]
    else:  # a dimension of one tensor type changes everywhere on that line
        lines[i] = re.sub(r"(\d+)x", lambda g: f"{int(text) if text.isdigit() else 7}x", lines[i], count=1)
    _write(path, "".join(lines).encode("utf-8"))


def mutate_npz(path: str, m: Mutation) -> None:
    try:
        arrays = load_npz(path)
    except Reject:
        return
    names = sorted(arrays)
    if m.kind == "empty":
        arrays = {}
    elif m.kind == "npy":
        with open(path, "wb") as fh:
            np.save(fh, next(iter(arrays.values())) if arrays else np.zeros(2))
        return
    elif m.kind == "extra":
        arrays["extra"] = np.ones(3, np.float32)
    elif names:
        i, arg = m.arg  # type: ignore[misc]
        name = names[i % len(names)]
        a = arrays[name]
        if m.kind == "drop":
            del arrays[name]
        elif m.kind == "rename":
            arrays[str(arg)] = arrays.pop(name)
        elif m.kind == "retype":
            if arg == "object":
                arrays[name] = np.array([{"a": 1}] * max(1, a.size), dtype=object)
            else:
                arrays[name] = a.astype(arg)
        elif m.kind == "reshape":
            shapes = [a.reshape(-1), a.reshape(1, *a.shape), a.T, np.atleast_1d(a)[:1], np.concatenate([a.reshape(-1)] * 2)]
            arrays[name] = shapes[_stable(str(arg)) % len(shapes)]
        elif m.kind == "nonfinite":
            # an earlier mutation may have retyped the array to strings or objects
            b = a.copy() if a.dtype.kind == "f" else (
                a.astype(np.float32) if a.dtype.kind in "biu" else np.zeros(a.shape, np.float32))
            if b.size:
                b.reshape(-1)[0] = (np.nan, np.inf, -np.inf)[len(str(arg)) % 3]
            arrays[name] = b
        elif m.kind == "labels" and "y" in arrays:
            row, value = m.arg  # type: ignore[misc]
            y = arrays["y"]
            kind = np.float64 if isinstance(value, float) else np.int64
            y = y.astype(kind) if y.size else y
            if y.size:
                y.reshape(-1)[row % y.size] = value
            arrays["y"] = y
    try:
        with open(path, "wb") as fh:
            np.savez(fh, **arrays, allow_pickle=True) if any(a.dtype == object for a in arrays.values()) \
                else np.savez(fh, **arrays)
    except Exception:  # e.g. a name numpy refuses: keep what was written
        pass


# ---------------------------------------------------------------------------
# running a tool in this process
# ---------------------------------------------------------------------------


class _Timeout(BaseException):
    pass


class _RowsReached(BaseException):
    """tdbench reached its first row (its checks are done)."""


def run_tool_in_process(tool: str, argv: list[str], run_rows: bool) -> tuple[int | str, str, str]:
    """(exit code, or "timeout" / "uncaught: ..."; stdout; stderr)."""
    import importlib

    name = "tdrun" if tool == "tdrun-rtl" else tool
    mod = importlib.import_module(f"tdopt.tools.{name}")
    out_b, err_b = io.BytesIO(), io.BytesIO()
    out = io.TextIOWrapper(out_b, encoding="utf-8", errors="replace", write_through=True)
    err = io.TextIOWrapper(err_b, encoding="utf-8", errors="replace", write_through=True)
    saved_row = getattr(mod, "run_row", None)

    def stop_row(*a, **k):
        raise _RowsReached

    def alarm(*a):
        raise _Timeout

    old = signal.signal(signal.SIGALRM, alarm)
    stdin = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(b""))  # as `tool ... < /dev/null`
    signal.alarm(TIMEOUT)
    code: int | str
    try:
        if name == "tdbench" and not run_rows:
            mod.run_row = stop_row
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = mod.main(argv)
            except SystemExit as e:  # argparse
                code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
                if isinstance(e.code, str):
                    print(e.code, file=sys.stderr)
    except _RowsReached:
        code = "validated"
    except _Timeout:
        code = "timeout"
    except Exception as e:
        code = f"uncaught: {type(e).__name__}: {e}"
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
        sys.stdin = stdin
        if saved_row is not None:
            mod.run_row = saved_row
    return code, out_b.getvalue().decode("utf-8", "replace"), err_b.getvalue().decode("utf-8", "replace")


# ---------------------------------------------------------------------------
# the properties
# ---------------------------------------------------------------------------

INTERNAL = re.compile(r"Traceback|internal compiler error|internal error")


@dataclass
class Stats:
    cases: int = 0
    by_tool: dict[str, int] = field(default_factory=dict)
    outcomes: dict[str, int] = field(default_factory=dict)  # ok, diagnostic, validated, ...
    checked_results: int = 0  # exit 0 checked against numpy
    rejected_as_required: int = 0  # the oracle said reject, the tool did
    rtl_runs: int = 0  # tdrun --rtl or a tdbench row that ran on the RTL and exited 0
    failures: list[str] = field(default_factory=list)
    # per mutation class (a file mutation's kind, `flag_*`): outcome -> cases
    by_class: dict[str, dict[str, int]] = field(default_factory=dict)
    classes: tuple[str, ...] = ()  # of the case being judged

    def count(self, outcome: str) -> None:
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1
        for c in self.classes:
            row = self.by_class.setdefault(c, {})
            row[outcome] = row.get(outcome, 0) + 1

    def class_table(self) -> str:
        """Cases per mutation class and outcome (a case with several
        mutations counts in each of their classes)."""
        outcomes = sorted({o for row in self.by_class.values() for o in row})
        lines = ["class".ljust(16) + "".join(o.rjust(12) for o in ["cases", *outcomes])]
        for c in sorted(self.by_class):
            row = self.by_class[c]
            lines.append(c.ljust(16) + "".join(str(v).rjust(12) for v in
                                               [sum(row.values()), *(row.get(o, 0) for o in outcomes)]))
        return "\n".join(lines)

    def summary(self) -> str:
        tools = " ".join(f"{k}={v}" for k, v in sorted(self.by_tool.items()))
        outs = " ".join(f"{k}={v}" for k, v in sorted(self.outcomes.items()))
        return (f"cases={self.cases} [{tools}] outcomes: {outs} checked_results={self.checked_results} "
                f"rejected_as_required={self.rejected_as_required} rtl_runs={self.rtl_runs} "
                f"failures={len(self.failures)}")


def snapshot(d: str) -> dict[str, bytes | None]:
    """Every file below the case folder, by relative path (None: a folder)."""
    snap: dict[str, bytes | None] = {}
    for root, dirs, files in os.walk(d):
        for n in dirs:
            snap[os.path.relpath(os.path.join(root, n), d)] = None
        for n in files:
            p = os.path.join(root, n)
            snap[os.path.relpath(p, d)] = hashlib.sha256(_read(p) or b"").digest()
    return snap


def check_case(case: ToolCase, seeds: str, stats: Stats) -> list[str]:
    """Run the case in a fresh copy of the seeds; the failures."""
    stats.cases += 1
    stats.by_tool[case.tool] = stats.by_tool.get(case.tool, 0) + 1
    stats.classes = tuple(sorted({m.kind for m in case.mutations}))
    with tempfile.TemporaryDirectory(prefix="toolfuzz-") as tmp:
        d = os.path.join(tmp, "case")
        shutil.copytree(seeds, d)
        originals = {n: _read(os.path.join(d, n)) for n in os.listdir(d)}
        with open(os.path.join(d, "names.txt"), "w") as fh:
            fh.write("W\n")
        argv = list(case.argv)
        for m in case.mutations:
            if m.kind.startswith("flag_"):
                argv = apply_flag(argv, m, case.tool)
            else:
                apply_file(d, m)
        argv = [a.replace("{d}", d) for a in argv]
        before = snapshot(d)
        # a row runs on the RTL only when it is the cheap seed row (without
        # --rows, tdbench runs every row: many minutes, not a hang)
        run_rows = case.run_rows and _flag(argv, "--rows") == "gemm64"
        code, out, err = run_tool_in_process(case.tool, argv, run_rows)
        after = snapshot(d)
        if code == 0 and (case.tool == "tdrun-rtl" and "--rtl" in argv or run_rows):
            stats.rtl_runs += 1
        failures = judge(case, d, argv, code, out, err, before, after, originals, stats)
    return failures


def judge(case, d, argv, code, out, err, before, after, originals, stats) -> list[str]:
    fails: list[str] = []
    if code == "timeout":
        stats.count("hang")
        return [f"no exit after {TIMEOUT} s (a hang)"]
    if isinstance(code, str) and code.startswith("uncaught"):
        stats.count("uncaught")
        return [f"an exception escaped main: {code}"]
    if INTERNAL.search(err) or INTERNAL.search(out):
        stats.count("internal")
        line = next((ln for ln in err.splitlines() if INTERNAL.search(ln)), err.strip()[-300:])
        fails.append(f"internal error or traceback: {line}")
    # (b) inputs untouched; outputs only on success; no temporary files
    inputs, outputs = roles(case.tool, argv, d)
    for path, digest in before.items():
        if path not in after:
            fails.append(f"{path} was deleted")
        elif after[path] != digest and (code != 0 or path in inputs or path not in outputs):
            role = "input" if path in inputs else "file"
            fails.append(f"the {role} {path} was modified (exit {code})")
    for path in after:
        if path.endswith(".tmp") or os.path.basename(path).startswith("."):
            fails.append(f"a temporary file was left: {path}")
        elif (path not in before and code not in (0, "validated") and not path.startswith("keep")
              and "MISMATCH" not in out):  # a --expect mismatch: the results are whole
            fails.append(f"a failed run (exit {code}) left the output {path}")
    if code == "validated":
        stats.count("validated")
        return fails
    if code == 0:
        stats.count("ok")
        fails += check_result(case, d, argv, out, err, originals, stats)
    else:
        stats.count("diagnostic")
        if "error" not in err and "MISMATCH" not in out:
            fails.append(f"exit {code} without a diagnostic: stderr {err.strip()[-200:]!r}")
        fails += check_rejection(case, d, argv, out, originals, stats)
    return fails


OUTPUT_FLAGS = ("-o", "--output", "--output-file", "--csv", "--plot", "--profile-csv")


def roles(tool: str, argv: list[str], d: str) -> tuple[set[str], set[str]]:
    """The files (relative to the case folder) the invocation reads, and
    those it may write."""
    def rel(p: str | None) -> str | None:
        return os.path.relpath(p, d) if p and os.path.abspath(p).startswith(d + os.sep) else None

    inputs = set(INPUTS[tool])
    if b'"w.npz"' not in (_read(os.path.join(d, "step.mlir")) or b""):
        inputs.discard("w.npz")  # a mutated module that names no weights file
    outputs: set[str] = set()
    for i, a in enumerate(argv):
        value = argv[i + 1] if i + 1 < len(argv) else None
        if a in OUTPUT_FLAGS:
            outputs.add(rel(value) or "")
            if tool == "tdimport" and value:  # the weights beside the .mlir
                outputs.add(rel(os.path.splitext(value)[0] + ".npz") or "")
        elif a in ("--inputs", "--expect"):
            inputs.add(rel(value) or "")
        elif a == "--trainable" and value and value.startswith("@"):
            inputs.add(rel(value[1:]) or "")
    if argv and not argv[0].startswith("-"):
        inputs.add(rel(argv[0]) or "")
    return inputs, outputs


def _flag(argv: list[str], flag: str) -> str | None:
    """The last value of a flag (argparse's rule)."""
    value = None
    for i, a in enumerate(argv[:-1]):
        if a == flag:
            value = argv[i + 1]
        elif a.startswith(flag + "="):
            value = a.split("=", 1)[1]
    if argv and argv[-1].startswith(flag + "="):
        value = argv[-1].split("=", 1)[1]
    return value


def _seed_run_argv(case: ToolCase, argv: list[str], d: str) -> bool:
    """The command line is the seed's up to where outputs go: the oracle
    judges the files alone."""
    base = [a.replace("{d}", d) for a in base_argv(case.tool, _flag(argv, "--emit") or "train",
                                                    "--expect" in argv)]
    return argv == base


def check_rejection(case, d, argv, out, originals, stats) -> list[str]:
    """A non-zero exit is required or allowed; never for the seed's command
    line on files that are valid (by numpy's reading)."""
    if not _seed_run_argv(case, argv, d):
        return []
    if case.tool == "tdimport":
        if _read(os.path.join(d, "model.onnx")) == originals["model.onnx"]:
            return ["the seed model was rejected"]
        return []
    if case.tool == "tdopt":
        try:
            if _read(os.path.join(d, "step.mlir")) != originals["step.mlir"]:
                raise Unknown("the module text was mutated")
            weights = load_npz(os.path.join(d, "w.npz"))
            if set(weights) != {"w"}:
                raise Unknown("other arrays")
            as_floats(weights["w"], W_SHAPE, "w")
        except (Reject, Unknown):
            stats.rejected_as_required += 1
            return []
        return ["valid files (by numpy's reading) were rejected"]
    if case.tool in ("tdrun", "tdrun-rtl"):
        try:
            x, y, w = step_files_oracle(d, originals)
        except (Reject, Unknown):
            stats.rejected_as_required += 1
            return []
        if "--expect" in argv:
            # a mismatch is right when numpy's loss differs from the file's
            try:
                want = load_npz(os.path.join(d, "expect.npz"))["loss"]
                if want.size != 1 or want.dtype.kind not in "biuf":
                    raise Reject("not a loss")
            except (Reject, KeyError):
                return []
            loss = ce_loss(x @ w, y)
            same = bool(np.isclose(float(want.reshape(-1)[0]), loss, rtol=1e-4, atol=1e-4))
            if "MISMATCH" in out and not same:
                stats.rejected_as_required += 1
                return []
            if "MISMATCH" in out:
                return [f"a MISMATCH although --expect holds numpy's loss {loss}"]
        return ["valid files (by numpy's reading) were rejected"]
    return []


def check_result(case, d, argv, out, err, originals, stats) -> list[str]:
    """(c): exit 0 gives the correct result."""
    if case.tool in ("tdrun", "tdrun-rtl"):
        try:
            x, y, w = step_files_oracle(d, originals)
        except Reject as e:
            if "--inputs" in argv and _flag(argv, "--inputs") == os.path.join(d, "in.npz"):
                return [f"accepted an input it must reject: {e}"]
            return []
        except Unknown:
            return []
        if _flag(argv, "--inputs") != os.path.join(d, "in.npz") or _flag(argv, "--function") not in (None, "main"):
            return []
        want = ce_loss(x @ w, y)
        m = re.search(r"^loss = (\S+)$", out, re.M) or re.search(r"^result\S* = (\S+)$", out, re.M)
        if m is None:
            return [f"exit 0 but no loss printed: {out[:200]!r}"]
        got = float(m.group(1))
        stats.checked_results += 1
        if np.isnan(want) and np.isnan(got):
            if "warning" not in err:
                return ["a NaN loss without a warning"]
            return []
        if not np.isclose(got, want, rtol=1e-4, atol=1e-5):
            return [f"loss {got} but numpy gives {want}"]
        if not np.all(np.isfinite(x)) or not np.all(np.isfinite(w)):
            if "warning" not in err:
                return ["non-finite inputs without a warning"]
        return []
    if case.tool == "tdopt":
        return check_tdopt(d, argv, out, originals, stats)
    if case.tool == "tdimport":
        return check_tdimport(d, argv, originals, stats)
    return []


def _parse(text: str, name: str):
    from tdopt.tools.context import make_context
    from tdopt.tools.diagnostics import parse_module

    ctx = make_context()
    module = parse_module(ctx, text, name)
    module.verify()
    return module


def check_tdopt(d, argv, out, originals, stats) -> list[str]:
    """A training step printed at the train level equals numpy's step."""
    o = _flag(argv, "-o") or _flag(argv, "--output-file")
    text = out if o is None else (_read(o) or b"").decode("utf-8", "replace") if o != os.devnull else ""
    if not text.strip():
        return [] if o == os.devnull or _flag(argv, "-o") is None and "--stats" in argv else \
            ["exit 0 but no output"]
    emit = _flag(argv, "--emit")
    plain = (emit == "train" and _flag(argv, "--finetune") == "w" and _flag(argv, "-p") is None
             and _flag(argv, "-t") in (None, "mlir") and "--lora" not in argv and "--stats" not in argv
             and argv[0] == os.path.join(d, "step.mlir"))
    if not plain:
        return []
    try:
        x, y, w = step_files_oracle(d, originals)
        inputs = load_npz(os.path.join(d, "in.npz"))
    except (Reject, Unknown):
        return []
    lr_text = _flag(argv, "--lr")
    lr = LR if lr_text is None else float(lr_text)
    from tdopt.dialects.weights import load_weights
    from tdopt.interpreter.reference import run_function

    try:
        module = _parse(text, "out.mlir")
        weights = load_weights(module, d)
        res = run_function(module, {"x": inputs["x"], "y": inputs["y"]}, weights)
    except Exception as e:
        return [f"tdopt's train-level output does not run: {type(e).__name__}: {e}"]
    want_w = w - lr * (x.T @ ce_grad(x @ w, y))
    got_w = [v for k, v in res.items() if k != "loss"]
    stats.checked_results += 1
    if len(got_w) != 1 or not np.allclose(got_w[0], want_w, rtol=1e-4, atol=1e-5, equal_nan=True):
        return [f"the SGD step differs from numpy's (lr {lr})"]
    if not np.isclose(float(res["loss"]), ce_loss(x @ w, y), rtol=1e-4, atol=1e-5, equal_nan=True):
        return ["the step's loss differs from numpy's"]
    return []


def check_tdimport(d, argv, originals, stats) -> list[str]:
    """The imported module computes numpy's forward of the ONNX graph."""
    o = _flag(argv, "-o")
    if o is None or o == os.devnull or not o.endswith(".mlir") or _read(os.path.join(d, "model.onnx")) != originals["model.onnx"]:
        return []
    if argv[0] != os.path.join(d, "model.onnx"):
        return []
    import onnx
    from onnx import numpy_helper

    from tdopt.dialects.weights import load_weights
    from tdopt.interpreter.reference import run_function

    g = onnx.load(os.path.join(d, "model.onnx")).graph
    init = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in g.initializer}
    x = np.random.default_rng(3).standard_normal(ONNX_X).astype(np.float32)
    h = np.maximum(x @ init["W"] + init["B"], 0.0)
    loss, label = _flag(argv, "--loss"), _flag(argv, "--label") or "label"
    lab = np.array([1, 5], np.int64)
    try:
        module = _parse((_read(o) or b"").decode(), o)
        weights = load_weights(module, os.path.dirname(o))
        feeds = {"x": x}
        if loss == "cross-entropy":
            feeds[label] = lab
        elif loss == "mse":
            feeds[label] = np.zeros(h.shape, np.float32)
        res = run_function(module, feeds, weights)
    except Exception as e:
        return [f"the imported module does not run: {type(e).__name__}: {e}"]
    (got,) = res.values()
    want = {None: h, "cross-entropy": ce_loss(h, lab), "mse": float(np.mean(h * h))}[loss]
    stats.checked_results += 1
    if not np.allclose(got, want, rtol=1e-4, atol=1e-5):
        return [f"the imported module computes {got!r}, numpy {want!r}"]
    return []


# ---------------------------------------------------------------------------
# the script (tools/fuzz.sh N --tools)
# ---------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    import argparse

    import random

    from runner import run_examples

    p = argparse.ArgumentParser(description="fuzz the tools' inputs (issue 14)")
    p.add_argument("n", type=int, help="examples (hypothesis max_examples)")
    p.add_argument("--rtl-rate", type=int, default=int(os.environ.get("TDOPT_FUZZ_RTL_RATE", "50")),
                   help="one case in N runs on the RTL (tdrun --rtl, a tdbench row; 0: none; default 50)")
    p.add_argument("--shrink", action="store_true", help="stop at the first failure and minimise it")
    p.add_argument("--seed", type=int, help="hypothesis seed (default: a fresh one)")
    a = p.parse_args(argv)
    stats = Stats()
    the_seed = a.seed if a.seed is not None else random.getrandbits(32)
    print(f"tool fuzzer: {a.n} cases, seed {the_seed} (--seed reproduces the run)", flush=True)
    seeds = tempfile.mkdtemp(prefix="toolfuzz-seeds-")
    write_seeds(seeds)

    try:
        run_examples(a.n, tool_cases(rtl_rate=a.rtl_rate), lambda case: check_case(case, seeds, stats),
                     ToolCase.describe, stats.failures, a.shrink, the_seed,
                     progress=stats.summary)
    finally:
        shutil.rmtree(seeds, ignore_errors=True)
        print(stats.class_table())
        print(stats.summary())
    return 1 if stats.failures else 0


if __name__ == "__main__":
    sys.exit(main())
