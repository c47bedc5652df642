"""The ONNX front end: ONNX models (and PyTorch exports of them) into the
train dialect. `import_onnx` is the entry point; `tools/tdimport.py` the
command line."""

from tdopt.frontend.onnx.errors import ImportFailure
from tdopt.frontend.onnx.importer import LOSSES, ImportOptions, ImportResult, import_onnx

__all__ = ["LOSSES", "ImportFailure", "ImportOptions", "ImportResult", "import_onnx"]
