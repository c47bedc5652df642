"""The set-up's system-package step (`tools/dev.sh system-packages`) run
against stand-in `dpkg`, `apt-get`, `id` and `sudo` commands: what it would
install, how it calls apt-get as root and through sudo, and that a failing
apt-get stops the set-up. A fresh Debian 12 machine lacks
gcc-riscv64-unknown-elf; these tests do not touch the real system."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEV = ROOT / "tools" / "dev.sh"
CROSS = "gcc-riscv64-unknown-elf"


def stand_ins(bin_dir: Path, log: Path, *, uid: int, installed: set[str],
              apt_rc: int = 0) -> None:
    """Commands that log how they were called to `log`."""
    bin_dir.mkdir()
    scripts = {
        # dpkg -s PKG: installed when PKG is in the set
        "dpkg": "\n".join(["case \"$2\" in"]
                          + [f"  {p}) exit 0 ;;" for p in sorted(installed)]
                          + ["  *) exit 1 ;;", "esac"]),
        "apt-get": f'echo "apt-get frontend=${{DEBIAN_FRONTEND:-unset}} $*" >> "{log}"\n'
                   f"exit {apt_rc}",
        "id": f'[ "$1" = "-u" ] && echo {uid}',
        # a real sudo resets the environment: only what `env` sets survives
        "sudo": f'echo "sudo $*" >> "{log}"\nexec env -u DEBIAN_FRONTEND "$@"',
    }
    for name, body in scripts.items():
        p = bin_dir / name
        p.write_text("#!/bin/sh\n" + body + "\n")
        p.chmod(0o755)


def run_step(tmp_path: Path, **kw: object) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    log = tmp_path / "calls.log"
    log.touch()
    stand_ins(tmp_path / "bin", log, **kw)  # type: ignore[arg-type]
    env = dict(os.environ, PATH=f"{tmp_path / 'bin'}:/usr/bin:/bin")
    env.pop("DEBIAN_FRONTEND", None)
    r = subprocess.run(["bash", str(DEV), "system-packages"], env=env,
                       capture_output=True, text=True, timeout=60)
    return r, log.read_text().splitlines()


ALL = {"python3", "python3-venv", "python3-dev", "gcc", "g++", "make", CROSS}


def test_root_installs_the_missing_cross_compiler(tmp_path: Path) -> None:
    r, calls = run_step(tmp_path, uid=0, installed=ALL - {CROSS})
    assert r.returncode == 0, r.stderr
    assert "command not found" not in r.stderr
    assert calls == [
        "apt-get frontend=noninteractive update -q",
        f"apt-get frontend=noninteractive install -y -q {CROSS}",
    ]


def test_non_root_goes_through_sudo(tmp_path: Path) -> None:
    r, calls = run_step(tmp_path, uid=1000, installed=ALL - {CROSS, "make"})
    assert r.returncode == 0, r.stderr
    assert calls == [
        "sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q",
        "apt-get frontend=noninteractive update -q",
        f"sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q make {CROSS}",
        f"apt-get frontend=noninteractive install -y -q make {CROSS}",
    ]


def test_nothing_missing_installs_nothing(tmp_path: Path) -> None:
    r, calls = run_step(tmp_path, uid=0, installed=ALL)
    assert r.returncode == 0, r.stderr
    assert calls == []


@pytest.mark.parametrize("uid", [0, 1000])
def test_failing_apt_stops_the_setup(tmp_path: Path, uid: int) -> None:
    r, calls = run_step(tmp_path, uid=uid, installed=ALL - {CROSS}, apt_rc=100)
    assert r.returncode != 0
    assert not any("install" in c for c in calls)  # stopped after the failed update
