"""The fuzzer of the train dialect (train_fuzz.py) on a small fixed budget,
and the failures it found, kept as regression cases. Every property
compares with an independent reference (PyTorch, torch.autograd, the
reference interpreter for the RTL); see train_fuzz's docstring."""

from __future__ import annotations

import os
import tempfile

import pytest
from hypothesis import HealthCheck, given, settings
import train_fuzz
from train_fuzz import Case, Extra, Stats, Step, cases, check_case, describe

# the suite's budget: derandomized (the same cases every run), a few of
# them compiled to assembly; well under a minute on 2 cores
BUDGET = 40
COMPILE_RATE = 1  # every valid case: a derandomized run of 40 favours 0 in one_in's draw, which left CI without a compile at 1 in 4


def test_fuzz_fixed_budget() -> None:
    """Every property on the fixed budget; hypothesis minimises a failing
    case. The budget exercises what it claims: valid cases checked against
    torch, invalid ones rejected, some compiled."""
    stats = Stats()

    @settings(max_examples=BUDGET, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(cases(compile_rate=COMPILE_RATE))
    def run(case: Case) -> None:
        failures = check_case(case, stats)
        assert not failures, f"{describe(case)}: {failures}"

    run()
    assert stats.checked >= BUDGET // 2 and stats.rejected >= 1 and stats.compiled >= 1, stats.summary()


# -- regressions: cases the fuzzer found ---------------------------------------

COMPILE = {"tile_l1": None, "cores": 1}
SCALAR_OPS = {
    # rank-0 inputs: the interpreter returned rank-1 results (np.ascontiguousarray)
    # or crashed (np.pad); the lowering indexed past the 1-element buffer
    "pad": Step("train.pad", {"pads": [], "value": -2.0}),
    "slice": Step("train.slice", {"starts": [], "sizes": [], "steps": []}),
    "transpose": Step("train.transpose", {"perm": []}),
    "reduce_sum_all": Step("train.reduce_sum", {"axes": [], "keepdims": False}),
}


@pytest.mark.parametrize("name", sorted(SCALAR_OPS))
def test_rank0_op_matches_torch_and_compiles(name: str) -> None:
    case = Case((), True, True, [SCALAR_OPS[name], Step("train.exp", {})], "mse", 3, COMPILE)
    stats = Stats()
    assert check_case(case, stats) == []
    assert stats.checked == 1 and stats.compiled == 1


def test_rank0_chain_on_rtl() -> None:
    """pad, slice, transpose of a scalar, with a trainable factor, on 2 cores."""
    steps = [
        SCALAR_OPS["pad"],
        Step("train.mul", {}, [Extra((), trainable=True)]),
        SCALAR_OPS["slice"],
        SCALAR_OPS["transpose"],
    ]
    stats = Stats()
    case = Case((), True, True, steps, "mse", 5, rtl={"cores": 2, "tile_l1": None})
    assert check_case(case, stats) == []
    assert stats.rtl_matched == 1


def compiles(case: Case) -> list[str]:
    """The compile check with no known bug excused."""
    saved = dict(train_fuzz.KNOWN_BUGS)
    train_fuzz.KNOWN_BUGS.clear()
    try:
        return check_case(case, Stats())
    finally:
        train_fuzz.KNOWN_BUGS.update(saved)


# kernels that ran out of registers (issue 17 item 3): the cross-entropy's
# exp reduction blocked by 8 rows (the model counted math.exp as one op;
# now each blocking whose body the model cannot vouch for is tried through
# register allocation) and grad.layernorm's 4-loop kernel of six pointers
# split over the cores (xDSL's allocator kept a0-a5 out of the whole kernel;
# now they are free once the arguments are copied)
CROSS_ENTROPY_LOGITS = [(8, 10), (7, 6)]


def cross_entropy_case(logits, **where) -> Case:
    return Case(logits, True, True, [Step("train.neg", {})], "cross_entropy", 0, **where)


def layernorm_case(**where) -> Case:
    step = Step("train.layernorm", {"axis": -2, "epsilon": 1e-5}, [Extra((3, 5), trainable=True)])
    return Case((2, 2, 3, 5), False, False, [step], "mse", 0, **where)


@pytest.mark.parametrize("logits", CROSS_ENTROPY_LOGITS, ids=str)
def test_cross_entropy_batch_7_or_8_compiles_on_one_core(logits) -> None:
    assert compiles(cross_entropy_case(logits, compile=COMPILE)) == []


def test_layernorm_last_two_dims_compiles_on_two_cores() -> None:
    assert compiles(layernorm_case(compile={"tile_l1": None, "cores": 2})) == []


@pytest.mark.parametrize("logits", CROSS_ENTROPY_LOGITS, ids=str)
def test_cross_entropy_batch_7_or_8_on_rtl(logits) -> None:
    """The whole step (forward, loss, gradient, SGD) on one core equals the
    reference interpreter."""
    stats = Stats()
    assert check_case(cross_entropy_case(logits, rtl={"cores": 1, "tile_l1": None}), stats) == []
    assert stats.rtl_matched == 1


def test_layernorm_last_two_dims_on_rtl() -> None:
    stats = Stats()
    assert check_case(layernorm_case(rtl={"cores": 2, "tile_l1": None}), stats) == []
    assert stats.rtl_matched == 1


def test_conv_group_not_dividing_channels_is_named() -> None:
    """The fuzzer's invalid conv: the message said "expected a weight of
    shape 4x0x1x1 with 4 divisible by 4" for 3 channels and group 4."""
    step = Step("train.conv2d", {"group": 4}, [Extra((4, 1, 1, 1))], invalid="group")
    case = Case((1, 3, 4, 4), False, False, [Step("train.relu", {}), step], "mse", 0)
    vals = train_fuzz.values(case)
    module = train_fuzz.build_module(case, vals, train_fuzz.np.float32, loss=False)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "conv.mlir")
        with open(path, "w") as f:
            f.write(train_fuzz.print_module(module))
        code, err = train_fuzz.run_tdopt([path])
    assert code == 1
    assert f"{path}:5:5: error: 'train.conv2d': group = 4 does not divide the 3 input channels" in err


def test_one_in_n_is_about_one_in_n() -> None:
    """The compile and RTL samples are drawn at their rate: hypothesis's
    bias towards 0 made `integers(0, 59) == 0` hold for 1 case in 5."""
    from hypothesis import strategies as st

    from runner import one_in

    hits = {"n": 0, "all": 0}

    @settings(max_examples=600, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(st.data())
    def run(data) -> None:
        hits["all"] += 1
        hits["n"] += one_in(data.draw, 20)

    run()
    rate = hits["n"] / hits["all"]
    assert 1 / 40 <= rate <= 1 / 10, (hits, rate)
