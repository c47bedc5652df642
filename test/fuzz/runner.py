"""What the fuzzers share: the command-line run (`tools/fuzz.sh`): N
hypothesis examples of a strategy, every failure of the property check
printed as it is found and collected, or with `shrink` the first one
minimised; and `one_in`, the unbiased one-case-in-N sample of the slow
checks (compile, RTL)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


PROGRESS_EVERY = 100


def run_examples(
    n: int,
    strategy: Any,
    check: Callable[[Any], list[str]],
    describe: Callable[[Any], str],
    failures: list[str],
    shrink: bool = False,
    the_seed: int | None = None,
    progress: Callable[[], str] | None = None,
) -> None:
    """Check `n` examples of `strategy` (no deadline, no example database,
    health checks off: the cases are slow by nature); each failure line of
    `check(case)` goes to `failures` and stdout with the case described.
    `the_seed` reproduces a run (default: a fresh random one). `progress()`
    (the counts so far) goes to stderr: a tqdm bar on a terminal, else a
    line every PROGRESS_EVERY examples, so a long run's log shows it."""
    import sys
    import time

    from hypothesis import HealthCheck, Phase, given, seed, settings
    from tqdm import tqdm

    bar = tqdm(total=n, unit="case", file=sys.stderr) if progress and sys.stderr.isatty() else None
    done = [0]
    start = time.monotonic()

    @settings(max_examples=n, derandomize=False, deadline=None, database=None,
              suppress_health_check=list(HealthCheck),
              phases=[Phase.generate, Phase.shrink] if shrink else [Phase.generate])
    @given(strategy)
    def run(case: Any) -> None:
        found = check(case)
        done[0] += 1
        if bar is not None:
            bar.update()
            bar.set_postfix_str(progress(), refresh=False)
        elif progress and done[0] % PROGRESS_EVERY == 0:
            print(f"[{done[0]}/{n} in {time.monotonic() - start:.0f} s] {progress()}", file=sys.stderr, flush=True)
        for f in found:
            line = f"FAIL {f}\n     case: {describe(case)}"
            failures.append(line)
            print(line, flush=True)
        if shrink:
            assert not found, found

    if the_seed is not None:
        run = seed(the_seed)(run)
    try:
        run()
    finally:
        if bar is not None:
            bar.close()


def one_in(draw: Callable[[Any], Any], n: int) -> bool:
    """True for about one case in `n`. hypothesis favours the ends of an
    integer range, so `integers(0, n - 1) == 0` held for one case in 5, not
    one in 60 (a 10,000-case run spent its time on the RTL): the decision
    comes from a 32-bit draw mixed by multiplicative hashing, which sends
    the favoured values (0, the maximum, small ones) to fixed buckets."""
    from hypothesis import strategies as st

    x = draw(st.integers(0, 2**32 - 1))
    x = ((x + 0x7F4A7C15) * 0x9E3779B1) & 0xFFFFFFFF
    return (x ^ (x >> 16)) % n == 0
