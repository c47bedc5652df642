"""tools/compilebench.py: it compiles a row's step the way a user runs tdopt
(the assembly it counts is tdopt's output for that step), and rejects a row
tdbench does not have."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tdopt.tools.compilebench import main, prepare


def test_unknown_row_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        main(["--rows", "gemm64,no-such-row"])
    assert e.value.code == 2
    assert "unknown row(s) no-such-row" in capsys.readouterr().err


def test_counts_the_assembly_tdopt_writes(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--rows", "gemm64", "-j", "1", "--work", str(tmp_path)]) == 0
    (line,) = [x for x in capsys.readouterr().out.splitlines() if x.startswith("gemm64")]
    lines = int(line.split()[-1])
    step = prepare("gemm64", str(tmp_path))
    p = subprocess.run(
        [sys.executable, "-m", "tdopt.tools.tdopt", step, "--tile-l1=128k", "--emit", "asm"],
        capture_output=True, text=True, check=True,
    )
    assert lines == p.stdout.count("\n") > 100
