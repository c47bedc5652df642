"""The math expansions on the cluster RTL (CV32E40P + CVFPU, one core): the
real FPU's fmadd.s, fdiv.s, fsqrt.s, subnormals and conversions, and the
`soft-div-sqrt` variants, against numpy float64."""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import pytest
from rv32f_pipeline import run
from xdsl.dialects.riscv.abstract_ops import print_assembly

from tdopt.runtime.cluster import run_elf
from tdopt.runtime.cluster import build_model
from tdopt.runtime.toolchain import assemble_and_link

N = 128
F32_MAX = float(np.finfo(np.float32).max)
F32_MIN_NORMAL = 2.0**-126

# function: (scalar body from %x to %y, inputs, float64 reference)
_RNG = np.random.default_rng(7)
FUNCTIONS = {
    "exp": (
        "%y = math.exp %x : f32",
        np.concatenate([np.linspace(-90, 89, N - 4), [-104, -200, 88.72, 100]]),
        np.exp,
    ),
    "log": (
        "%y = math.log %x : f32",
        np.concatenate([np.geomspace(1e-38, 3e38, N - 4), [0, -1, np.inf, 1e-40]]),
        np.log,
    ),
    "erf": ("%y = math.erf %x : f32", np.linspace(-5, 5, N), np.vectorize(math.erf)),
    "tanh": (
        "%y = math.tanh %x : f32",
        np.concatenate([np.linspace(-12, 12, N - 3), [1e-20, -1e-7, 30]]),
        np.tanh,
    ),
    "sqrt": (
        "%y = math.sqrt %x : f32",
        np.concatenate([np.geomspace(1e-37, 3e38, N - 4), [0, 4, np.inf, -1]]),
        np.sqrt,
    ),
    "recip": (
        "%one = arith.constant 1.0 : f32\n    %y = arith.divf %one, %x : f32",
        np.concatenate([_RNG.choice([-1, 1], N - 2) * np.geomspace(1e-36, 1e36, N - 2), [0, np.inf]]),
        lambda x: 1 / x,
    ),
    "trunc": (
        "%i = arith.fptosi %x : f32 to i32\n    %y = arith.sitofp %i : i32 to f32",
        np.concatenate([np.arange(-4, 4, 0.25), _RNG.uniform(-1e6, 1e6, N - 32)]),
        np.trunc,
    ),
}
# kernel name: (function, soft-div-sqrt)
KERNELS = {name: (name, False) for name in FUNCTIONS} | {
    f"{name}_soft": (name, True) for name in ("tanh", "sqrt", "recip")
}


def kernel_text(name: str, body: str) -> str:
    return f"""func.func public @k_{name}(%a: memref<{N}xf32>, %b: memref<{N}xf32>) {{
  linalg.generic {{indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>],
                  iterator_types = ["parallel"]}}
      ins(%a : memref<{N}xf32>) outs(%b : memref<{N}xf32>) {{
  ^bb0(%x: f32, %o: f32):
    {body}
    linalg.yield %y : f32
  }}
  func.return
}}"""


def pipeline(soft: bool) -> str:
    expand = "expand-math-rv32f{soft-div-sqrt=true}" if soft else "expand-math-rv32f"
    return (
        f"convert-linalg-to-loops,{expand},convert-func-to-riscv-func,"
        "convert-arith-extra-to-riscv,convert-memref-to-riscv,convert-arith-to-riscv,"
        "convert-scf-to-riscv-scf,reconcile-unrealized-casts,canonicalize,cse,"
        "riscv-fuse-fmadd,canonicalize,cse,licm,riscv-scf-loop-range-folding,canonicalize,cse,"
        "riscv-allocate-registers,canonicalize,convert-riscv-scf-to-riscv-cf,"
        "riscv-lower-parallel-mov,canonicalize"
    )


@pytest.fixture(scope="module")
def rtl_results(tmp_path_factory) -> dict[str, np.ndarray]:
    work = tmp_path_factory.mktemp("math_rtl")
    sources = []
    for name, (function, soft) in KERNELS.items():
        out = io.StringIO()
        print_assembly(run(kernel_text(name, FUNCTIONS[function][0]), pipeline(soft)), out)
        sources.append(work / f"k_{name}.s")  # one file each: loop labels are per module
        sources[-1].write_text(out.getvalue())
    main = ['#include "tdrt.h"']
    for name in KERNELS:
        main.append(f"void k_{name}(float *in, float *out);")
        main.append(f"TDRT_L2 float in_{name}[{N}];\nTDRT_L2 float out_{name}[{N}];")
    main.append("int main(void) {")
    main += [f"    k_{name}(in_{name}, out_{name});" for name in KERNELS]
    main.append("    return 0;\n}")
    (work / "main.c").write_text("\n".join(main))
    elf = assemble_and_link([work / "main.c", *sources], work / "math.elf")
    result = run_elf(
        elf,
        cores=1,
        model=build_model(8),
        max_cycles=5_000_000,
        read_symbols=[f"out_{name}" for name in KERNELS],
        write_symbols={f"in_{n}": FUNCTIONS[f][1].astype(np.float32) for n, (f, _) in KERNELS.items()},
    )
    return {n: np.frombuffer(result.symbols[f"out_{n}"], np.float32) for n in KERNELS}


@pytest.mark.parametrize("name", KERNELS)
def test_on_rtl(rtl_results, name):
    _, inputs, reference = FUNCTIONS[KERNELS[name][0]]
    x = inputs.astype(np.float32)
    y = rtl_results[name].astype(np.float64)
    with np.errstate(all="ignore"):
        want = reference(x.astype(np.float64))
        overflow = np.where(np.isnan(want), np.nan, np.sign(want) * np.inf)
    normal = np.isfinite(want) & (np.abs(want) >= F32_MIN_NORMAL) & (np.abs(want) <= F32_MAX)
    # normal results: within about one ulp
    assert (np.abs(y[normal] - want[normal]) / np.abs(want[normal])).max() <= 1.2e-7
    # subnormal or zero results: within one subnormal step
    tiny = np.isfinite(want) & (np.abs(want) < F32_MIN_NORMAL)
    assert np.all(np.abs(y[tiny] - want[tiny]) <= 2.0**-149)
    # overflow, infinities and NaN exactly as IEEE float32
    rest = ~(normal | tiny)
    assert np.array_equal(y[rest], overflow[rest], equal_nan=True)
