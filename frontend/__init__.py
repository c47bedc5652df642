"""Front ends: models from outside into the `train` dialect (ONNX, as
exported by PyTorch's default exporter, in `frontend/onnx/`)."""
