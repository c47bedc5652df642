"""Every registered pass loads under the name it is registered with, and
stock xdsl-opt sees tdopt's passes and dialects through the universe."""

from xdsl.universe import Universe

from tdopt.passes.registry import all_passes


def test_registered_names_match_the_passes():
    for name, factory in all_passes().items():
        assert factory().name == name


def test_universe_has_tdopt_passes_and_dialects():
    multiverse = Universe.get_multiverse()
    assert set(all_passes()) <= set(multiverse.all_passes)
    assert {"train", "grad", "rvx"} <= set(multiverse.all_dialects)
