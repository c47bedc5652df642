"""tilebench's options: a bad value is a one-line usage error (exit 2)
naming the option, never a traceback (the benchmark itself runs the RTL
and is not a test)."""

from __future__ import annotations

import pytest

from tdopt.tools import tilebench


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["--tiles", "8"], "--tiles: '8': expected 2 integers, got 1"),
        (["--tiles", "8,x"], "--tiles: '8,x': expected comma-separated integers"),
        (["--tiles", "5,5"], "--tiles 5,5: the two grid sizes must differ"),
        (["--operands", "0,9"], "--operands: '0,9': 0 is outside 1..8"),
        (["--cores", "9"], "--cores: '9': 9 is outside 1..8"),
    ],
)
def test_bad_options_are_usage_errors(argv, fragment, capsys) -> None:
    with pytest.raises(SystemExit) as e:
        tilebench.main(argv)
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert fragment in err and "Traceback" not in err
