"""Compiler diagnostics: `file:line:col: error: message` with the source line,
for parse errors, verifier errors, pass failures and bad command lines.

Every entry point funnels its failures through `report` so that a user never
sees a Python traceback for bad input.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import IO

from xdsl.context import Context
from xdsl.dialects.builtin import FileLineColLoc, IntAttr, ModuleOp, StringAttr
from xdsl.ir import Operation
from xdsl.parser import Parser
from xdsl.utils.exceptions import ParseError, VerifyException


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
        _, line, col = e.span.get_location()
        raise Diagnostic(
            str(e.msg).strip(), file, line + line_offset, col, _source_line(text, line)
        ) from None


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
    """Verify op by op, so the failure is attributed to the op that fails."""
    for op in module.walk():
        try:
            op.verify(verify_nested_ops=False)
        except VerifyException as e:
            raise located(op, _first_line(e), sources) from None


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__
