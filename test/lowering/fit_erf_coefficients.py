"""Provenance of the erf coefficients in `tdopt/lowering/expand_math_rv32f.py`.

Run `python test/lowering/fit_erf_coefficients.py` to refit; it prints the
float32-rounded coefficients pasted into `_ERF_SMALL` and `_ERF_LARGE`.
Near-minimax fits by Lawson's algorithm (iteratively reweighted least squares)
against float64 `math.erf`/`math.erfc` on Chebyshev-distributed points:

- |x| <= 0.9: erf(x) = x + x * R(x^2), R of degree 5, relative error weight;
- 0.9 < |x| <= 4: erf(x) = 1 - exp(Q(|x|)), Q of degree 6, fitting log(erfc)
  weighted by erfc (so the weight is the absolute error of erf).
"""

from __future__ import annotations

import math

import numpy as np

SPLIT = 0.9
TOP = 4.0  # erf(4) rounds to 1.0f


def lawson(v: np.ndarray, f: np.ndarray, w: np.ndarray, iters: int = 300) -> np.ndarray:
    """Coefficients minimising max |w * (v @ c - f)| (Lawson's algorithm)."""
    lam = np.full(len(f), 1.0 / len(f))
    for _ in range(iters):
        sw = np.sqrt(lam) * w
        c, *_ = np.linalg.lstsq(v * sw[:, None], f * sw, rcond=None)
        err = np.abs(w * (v @ c - f))
        lam = lam * err
        lam /= lam.sum()
    return c


def chebyshev_points(lo: float, hi: float, n: int = 4000) -> np.ndarray:
    return np.cos(np.linspace(0, np.pi, n)) * (hi - lo) / 2 + (hi + lo) / 2


def fit() -> tuple[list[float], list[float]]:
    erf = np.vectorize(math.erf)
    erfc = np.vectorize(math.erfc)
    x = chebyshev_points(0.0, SPLIT)
    x = x[x > 1e-4]
    small = lawson(np.vander(x * x, 6, increasing=True), erf(x) / x - 1, x / erf(x))
    t = chebyshev_points(SPLIT, TOP)
    large = lawson(np.vander(t, 7, increasing=True), np.log(erfc(t)), erfc(t))
    as_f32 = lambda c: [float(np.float32(v)) for v in c]  # noqa: E731
    return as_f32(small), as_f32(large)


if __name__ == "__main__":
    small, large = fit()
    print("_ERF_SMALL =", small)
    print("_ERF_LARGE =", large)
