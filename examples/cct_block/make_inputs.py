"""Write deterministic weights (encoder_block.npz) and an input sample
(inputs.npz) for encoder_block.mlir."""

import os
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SHAPES = {
    "ln1.scale": (8,), "ln1.bias": (8,), "attn.q": (8, 8), "attn.k": (8, 8),
    "attn.v": (8, 8), "attn.proj.w": (8, 8), "attn.proj.b": (8,),
    "ln2.scale": (8,), "ln2.bias": (8,), "mlp.fc1.w": (8, 16), "mlp.fc1.b": (16,),
    "mlp.fc2.w": (16, 8), "mlp.fc2.b": (8,), "head.w": (3, 8), "head.b": (3,),
}


def main() -> None:
    rng = np.random.default_rng(2026)
    weights = {}
    for name, shape in SHAPES.items():
        if name.endswith("scale"):
            weights[name] = np.ones(shape, np.float32)
        else:
            fan_in = shape[0]
            weights[name] = (rng.standard_normal(shape) / np.sqrt(fan_in)).astype(np.float32)
    _write(os.path.join(HERE, "encoder_block.npz"), weights)
    _write(
        os.path.join(HERE, "inputs.npz"),
        {"tokens": rng.standard_normal((1, 4, 8)).astype(np.float32),
         "label": np.array([2], dtype=np.int64)},
    )


def _write(path: str, arrays: dict[str, np.ndarray]) -> None:
    """Write to a private file and rename it over `path`: tests running in
    parallel call this script and read the files, never half-written."""
    fd, tmp = tempfile.mkstemp(dir=HERE, prefix=".tmp-", suffix=".npz")
    with os.fdopen(fd, "wb") as fh:
        np.savez(fh, **arrays)
    os.replace(tmp, path)


if __name__ == "__main__":
    main()
