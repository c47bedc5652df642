"""Compiler diagnostics: `file:line:col: error: message` with the source line,
for parse errors, verifier errors, pass failures and bad command lines.

Every entry point funnels its failures through `run_tool`: an expected
failure (bad input, a missing file, a verifier error) becomes one diagnostic
(`expected_failure`), anything else is a bug and becomes a one-line
"internal compiler error" (a traceback only with TDOPT_TRACEBACK=1), so a
user never sees a Python traceback for bad input. Input files are read
through `read_source` / `check_readable_file`, output files written through
`write_output` (atomically, never onto an input).
"""

from __future__ import annotations

import gc
import io
import os
import sys
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import IO, NoReturn

from xdsl.context import Context
from xdsl.dialects.builtin import FileLineColLoc, IntAttr, ModuleOp, StringAttr
from xdsl.ir import Operation
from xdsl.parser import Parser
from xdsl.printer import Printer
from xdsl.utils.exceptions import ParseError, VerifyException

from tdopt.dialects.cluster import kernel_kind, verify_cluster_attributes


@dataclass
class Diagnostic(Exception):
    """An error for the user, optionally located in a source file."""

    message: str
    file: str | None = None
    line: int | None = None
    col: int | None = None
    source_line: str | None = None

    def __str__(self) -> str:
        where = ""
        if self.file is not None:
            where = self.file
            if self.line is not None:
                where += f":{self.line}"
                if self.col is not None:
                    where += f":{self.col}"
            where += ": "
        text = f"{where}error: {self.message}"
        if self.source_line is not None:
            text += "\n" + self.source_line.rstrip("\n")
            if self.col is not None:
                text += "\n" + " " * (self.col - 1) + "^"
        return text


def internal_error(e: BaseException, where: str = "") -> Diagnostic:
    """An unexpected exception: a bug in tdopt, reported in one line;
    `where` says where it happened (e.g. "in pass 'plan-memory'")."""
    first = str(e).strip().splitlines()[0] if str(e).strip() else ""
    at = f" {where}" if where else ""
    return Diagnostic(
        f"internal compiler error{at}: {type(e).__name__}: {first} "
        "(please report it; TDOPT_TRACEBACK=1 shows the traceback)"
    )


def report(diag: BaseException, stream: IO[str] | None = None) -> int:
    """Print a diagnostic; returns the exit code to use."""
    print(str(diag), file=stream or sys.stderr)
    return 1


class PassCrash(Exception):
    """A pass raised an unexpected exception; carries its diagnostic."""

    def __init__(self, diagnostic: Diagnostic):
        super().__init__(str(diagnostic))
        self.diagnostic = diagnostic

    def __reduce__(self) -> tuple[type, tuple[Diagnostic]]:
        # sent whole from a compile worker (tdopt -j)
        return (PassCrash, (self.diagnostic,))


def _one_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def expected_failure(e: BaseException) -> Diagnostic | None:
    """The diagnostic for a failure that bad input causes, or None for a bug.
    The one table of which exceptions are the user's and which are ours."""
    from xdsl.utils.exceptions import DiagnosticException

    from tdopt.dialects.weights import WeightsError
    from tdopt.interpreter.reference import InterpretationFailure
    from tdopt.frontend.onnx.errors import ImportFailure

    if isinstance(e, Diagnostic):
        return e
    if isinstance(e, PassCrash):
        return e.diagnostic
    if isinstance(e, UnicodeDecodeError):  # text read without read_source
        return Diagnostic(f"not UTF-8 text: {e.reason} at byte {e.start}")
    if isinstance(e, OSError) and e.strerror:
        name = e.filename if e.filename is not None else ""
        return Diagnostic(f"{name}: {e.strerror}" if name else e.strerror)
    if isinstance(e, (ImportFailure, InterpretationFailure)):
        return Diagnostic(_one_line(e))
    if isinstance(e, WeightsError):
        if e.op is not None:
            return located(e.op, e.message)
        return Diagnostic(e.message)
    if isinstance(e, DiagnosticException):  # xDSL's errors about the IR
        op = getattr(e, "op", None)
        return located(op, _one_line(e)) if isinstance(op, Operation) else Diagnostic(_one_line(e))
    return None


def run_tool(body: Callable[[], int], stream: IO[str] | None = None) -> int:
    """Run a tool's main body: its exit code, or the failure reported as one
    diagnostic (exit 1). Bugs are "internal compiler error"s; with
    TDOPT_TRACEBACK=1 they propagate with their traceback."""
    # The IR is millions of small objects that mostly live until the tool
    # ends: at CPython's default thresholds (a collection every 700
    # allocations) the cyclic collector ran ~1500 times in a CCT2 compile,
    # 6 % of its time, for little freed; at these, 4 times (+15 MB).
    gc.set_threshold(200_000, 100, 1000)
    try:
        return body()
    except BrokenPipeError:  # e.g. `tdrun ... | head`
        try:
            sys.stderr.close()
        finally:
            return 0
    except Exception as e:
        diag = expected_failure(e)
        if diag is None:
            if os.environ.get("TDOPT_TRACEBACK"):
                raise
            diag = internal_error(e)
        return report(diag, stream)


def end_process(code: int) -> NoReturn:
    """End a tool run as a program with `code`, its output flushed, without
    freeing its objects one by one: a compile's IR is millions of objects,
    and the interpreter's teardown of them took 0.3 s of a 10 s MobileNetV1
    compile. Only for a program's last step (no atexit work is left: the
    compile workers are joined and every file is closed by then)."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (BrokenPipeError, ValueError):  # a closed pipe or stream
            pass
    os._exit(code)


def check_readable_file(path: str, what: str = "input") -> None:
    """An input path names a regular file that can be read: a folder, a
    device (/dev/null), a missing or an unreadable file is a diagnostic."""
    if not os.path.exists(path):
        raise Diagnostic(f"no such file: {path} (the {what})")
    if os.path.isdir(path):
        raise Diagnostic(f"{path}: is a folder, not a{'n' if what[0] in 'aeiou' else ''} {what} file")
    if not os.path.isfile(path):
        raise Diagnostic(f"{path}: not a regular file (the {what} must be a file)")
    if not os.access(path, os.R_OK):
        raise Diagnostic(f"{path}: cannot read the {what} file (permission denied)")


def read_source(path: str, what: str = "input") -> str:
    """The text of an input file (checked by `check_readable_file`); bytes
    that are not UTF-8 are a diagnostic at the first bad byte."""
    check_readable_file(path, what)
    with open(path, "rb") as fh:
        data = fh.read()
    return decode_source(data, path)


def decode_source(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        col = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
        shown = data.splitlines()[line - 1].decode("utf-8", "replace")
        raise Diagnostic(
            f"not UTF-8 text (byte 0x{data[e.start]:02x}); tdopt reads MLIR as UTF-8",
            name, line, col, shown,
        ) from None


def check_output_path(path: str, inputs: Iterable[str], flag: str = "-o") -> None:
    """Before any work: an output path is a file in an existing folder and
    not one of the inputs (or the same file under another name)."""
    if os.path.isdir(path):
        raise Diagnostic(f"{flag} {path}: is a folder; give the file to write")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise Diagnostic(f"{flag} {path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise Diagnostic(f"{flag} {path}: cannot write into the folder {folder}")
    real = os.path.realpath(path)
    for i in inputs:
        if i and os.path.exists(i) and os.path.realpath(i) == real:
            raise Diagnostic(f"{flag} {path}: would overwrite the input {i}")


def write_output(path: str, write: Callable[[IO[bytes]], None]) -> None:
    """Write a file atomically: into a temporary file in the same folder,
    renamed over `path` only when `write` finished, so a failure never
    leaves a truncated file or destroys the previous one. A device or a
    pipe (`-o /dev/null`) is written in place: renaming over it would
    replace the device with a file."""
    device = os.path.exists(path) and not os.path.isfile(path) and not os.path.isdir(path)
    if device or os.path.realpath(path) == os.devnull:
        with open(path, "wb") as fh:
            write(fh)
        return
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp's file is private (0600)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text_output(path: str, text: str) -> None:
    write_output(path, lambda fh: fh.write(text.encode("utf-8")))


class LocatingParser(Parser):
    """The xDSL parser, recording each op's `file:line:col` as its location so
    that verifier and pass errors can point into the source."""

    def __init__(self, ctx: Context, text: str, name: str, line_offset: int = 0):
        super().__init__(ctx, text, name)
        self._file_name = name
        self._line_offset = line_offset

    def parse_operation(self) -> Operation:
        start = self._current_token.span
        op = super().parse_operation()
        if not isinstance(op.location, FileLineColLoc):
            _, line, col = start.get_location()
            op.location = FileLineColLoc(
                StringAttr(self._file_name),
                IntAttr(line + self._line_offset),
                IntAttr(col),
            )
        return op


def _source_line(text: str, line: int, line_offset: int = 0) -> str | None:
    lines = text.splitlines()
    idx = line - line_offset - 1
    return lines[idx] if 0 <= idx < len(lines) else None


def parse_module(
    ctx: Context, text: str, file: str, line_offset: int = 0
) -> ModuleOp:
    """Parse MLIR text; a syntax error becomes a located Diagnostic."""
    try:
        return LocatingParser(ctx, text, file, line_offset).parse_module()
    except ParseError as e:
        message = str(e.msg).strip()
        start = e.span.start
        if not text[start:].strip():  # the file ended where more was expected
            opened = _unclosed_brace(text)
            # xDSL's words when it wanted an op or the '}' of a block
            if opened is not None and message in ("in block definition", "'}' expected"):
                line, col = _line_col(text, opened)
                raise Diagnostic(
                    "the file ends inside the region opened here: a '}' is missing",
                    file, line + line_offset, col, _source_line(text, line),
                ) from None
            message = f"unexpected end of file after this: {message}"
        prev = _previous_token_end(text, start)
        _, line, col = e.span.get_location()
        # like mlir-opt: a missing token is reported just after the token
        # before it when the next token is on a later line (else the error
        # points at the following line, or past the end of the file)
        if prev is not None and (message.startswith(("Expected", "unexpected end"))
                                 and text.count("\n", prev, start) > 0):
            line, col = _line_col(text, prev)
        raise Diagnostic(
            message, file, line + line_offset, col, _source_line(text, line)
        ) from None


def _line_col(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a character offset."""
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1


def _comment_start(text: str, line_start: int, end: int) -> int:
    """Where a `//` comment starts on the line [line_start, end), outside
    string literals; -1 if none."""
    in_string = False
    i = line_start
    while i < end:
        c = text[i]
        if c == '"' and (i == 0 or text[i - 1] != "\\"):
            in_string = not in_string
        elif not in_string and text.startswith("//", i):
            return i
        i += 1
    return -1


def _previous_token_end(text: str, offset: int) -> int | None:
    """The offset just after the last token before `offset` (whitespace
    and comments skipped); None at the start of the file."""
    i = offset
    while True:
        j = i - 1
        while j >= 0 and text[j].isspace():
            j -= 1
        if j < 0:
            return None
        line_start = text.rfind("\n", 0, j) + 1
        c = _comment_start(text, line_start, j + 1)
        if c == -1:
            return j + 1
        i = c


def _unclosed_brace(text: str) -> int | None:
    """The offset of the innermost `{` that the text never closes (strings
    and comments skipped), or None."""
    stack: list[int] = []
    i, in_string = 0, False
    while i < len(text):
        c = text[i]
        if in_string:
            if c == "\\":
                i += 1
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
        elif text.startswith("//", i):
            nl = text.find("\n", i)
            i = len(text) if nl == -1 else nl
            continue
        elif c == "{":
            stack.append(i)
        elif c == "}" and stack:
            stack.pop()
        i += 1
    return stack[-1] if stack else None


def op_location(op: Operation) -> tuple[str | None, int | None, int | None]:
    """The nearest recorded location of an op (itself, else its parents)."""
    cur: Operation | None = op
    while cur is not None:
        loc = cur.location
        if isinstance(loc, FileLineColLoc):
            return loc.filename.data, loc.line.data, loc.column.data
        cur = cur.parent_op()
    return None, None, None


def located(
    op: Operation, message: str, sources: dict[str, str] | None = None
) -> Diagnostic:
    file, line, col = op_location(op)
    text = (sources or {}).get(file or "")
    src = _source_line(text, line) if text is not None and line is not None else None
    return Diagnostic(message, file, line, col, src)


def verify_module(module: ModuleOp, sources: dict[str, str] | None = None) -> None:
    """Verify op by op, so the failure is attributed to the op that fails
    (`failing_op`: also when a pass created it)."""
    for op in module.walk():
        try:
            op.verify(verify_nested_ops=False)
            verify_cluster_attributes(op)
        except VerifyException as e:
            raise failing_op(op, _first_line(e), sources) from None


OP_TEXT_LIMIT = 160


def failing_op(op: Operation, message: str, sources: dict[str, str] | None = None) -> Diagnostic:
    """A failure of `op` reported against the op itself. A parsed op has its
    own location. An op a pass created has none: the message names it, the
    kernel function it is in and the train or grad op that kernel was
    lowered from, located at the nearest location of an enclosing op (the
    kernel carries its op's location), never the module's; without any,
    the op's own text (first line, shortened) says which op failed."""
    if isinstance(op.location, FileLineColLoc):
        return located(op, message, sources)
    context = f"'{op.name}'"
    owner = _enclosing_symbol(op)
    if owner is not None:
        name = owner.attributes.get("sym_name") or owner.properties.get("sym_name")
        sym = f"@{name.data}" if isinstance(name, StringAttr) else f"'{owner.name}'"
        kernel = kernel_kind(owner)
        if kernel is not None:
            context += f" in kernel {sym} (lowered from '{_kernel_origin(kernel)}')"
        else:
            context += f" in {sym}"
    file, line, col = _nearest_location(op)
    if file is None and sources is not None and len(sources) == 1:
        file = next(iter(sources))  # the one input file, without a line
    text = f"{context}: {message}"
    if line is None:
        text += f"; the op: {_op_text(op)}"
    src = None
    source = (sources or {}).get(file or "")
    if source is not None and line is not None:
        src = _source_line(source, line)
    return Diagnostic(text, file, line, col, src)


def _enclosing_symbol(op: Operation) -> Operation | None:
    cur = op.parent_op()
    while cur is not None and not isinstance(cur, ModuleOp):
        if "sym_name" in cur.attributes or "sym_name" in cur.properties:
            return cur
        cur = cur.parent_op()
    return None


def _kernel_origin(short: str) -> str:
    """The op a kernel was lowered from: `grad_relu` is grad.relu, `relu`
    train.relu (train_to_linalg's naming)."""
    if short.startswith("grad_"):
        return "grad." + short.removeprefix("grad_")
    return "train." + short


def _nearest_location(op: Operation) -> tuple[str | None, int | None, int | None]:
    """The location of the nearest enclosing op that has one, below the top
    module (whose 1:1 says nothing); the module gives only the file name."""
    cur: Operation | None = op
    while cur is not None:
        loc = cur.location
        if isinstance(loc, FileLineColLoc):
            if cur.parent_op() is None:
                return loc.filename.data, None, None
            return loc.filename.data, loc.line.data, loc.column.data
        cur = cur.parent_op()
    return None, None, None


def _op_text(op: Operation) -> str:
    """The op's first printed line, shortened."""
    stream = io.StringIO()
    try:
        Printer(stream=stream).print_op(op)
    except Exception:  # an invalid op may not print in its custom form
        stream = io.StringIO()
        Printer(stream=stream, print_generic_format=True).print_op(op)
    line = stream.getvalue().strip().splitlines()[0] if stream.getvalue().strip() else op.name
    return line if len(line) <= OP_TEXT_LIMIT else line[: OP_TEXT_LIMIT - 3] + "..."


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__
