"""Code generation libraries below the passes (as xDSL's `xdsl.backend`):
what several passes run, e.g. the register allocation their trials share."""
