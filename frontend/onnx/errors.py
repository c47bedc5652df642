"""Errors of the ONNX importer. Every failure is one `ImportFailure` whose
message is a single line, so the command line can print it as a diagnostic."""

from __future__ import annotations


class ImportFailure(Exception):
    """The model cannot be imported; the message says why, on one line."""


class Unsupported(Exception):
    """One node cannot be expressed in the train dialect (collected, then
    reported together with every other such node)."""
