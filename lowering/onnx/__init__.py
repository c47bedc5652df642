"""The ONNX front end: ONNX models (and PyTorch exports of them) into the
train dialect. `import_onnx` is the entry point; `tools/tdimport.py` the
command line."""

from tdopt.lowering.onnx.errors import ImportFailure
from tdopt.lowering.onnx.importer import LOSSES, ImportOptions, ImportResult, import_onnx

__all__ = ["LOSSES", "ImportFailure", "ImportOptions", "ImportResult", "import_onnx"]
