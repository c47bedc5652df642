#!/usr/bin/env bash
# Set up tdopt on a fresh Debian 12 machine and run the demo or the tests.
#   tools/dev.sh setup   # system packages (apt), .venv, pip install -e .[test]
#   tools/dev.sh system-packages   # only the apt step
#   tools/dev.sh demo    # setup, then the README demo
#   tools/dev.sh test    # setup, then the lit/FileCheck suite and pytest
# Re-running is quick: each step is skipped when already done.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.venv"
APT_PACKAGES=(python3 python3-venv python3-dev gcc g++ make gcc-riscv64-unknown-elf)

apt_setup() {
    local missing=()
    for p in "${APT_PACKAGES[@]}"; do
        dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
    done
    if ((${#missing[@]})); then
        # `env` carries the variable through sudo and works without it too
        # (a bare `VAR=x cmd` after an empty $sudo would run VAR=x as a command)
        local run=(env DEBIAN_FRONTEND=noninteractive)
        [ "$(id -u)" -eq 0 ] || run=(sudo "${run[@]}")
        echo "tdopt setup: installing ${missing[*]}"
        "${run[@]}" apt-get update -q
        "${run[@]}" apt-get install -y -q "${missing[@]}"
    fi
}

venv_setup() {
    local stamp="$VENV/.tdopt-installed"
    if [ ! -x "$VENV/bin/python" ]; then
        python3 -m venv "$VENV"
    fi
    if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] \
            || [ examples/plugin/pyproject.toml -nt "$stamp" ]; then
        "$VENV/bin/python" -m pip install -q --upgrade pip
        # -qq: setuptools still prints an informational note about editable
        # installs of a package rooted at the repository (not a warning)
        "$VENV/bin/python" -m pip install -qq -e ".[test]"
        # the example plugin (docs/extending.md): its lit test runs with the suite
        "$VENV/bin/python" -m pip install -qq --no-deps -e examples/plugin
        touch "$stamp"
    fi
}

setup() {
    apt_setup
    venv_setup
}

run_tests() {
    export PATH="$VENV/bin:$PATH"
    echo "== lit / FileCheck suite"
    lit -q test/filecheck examples/plugin/test
    echo "== pytest"
    # independent tests in parallel workers (pytest-xdist), one per core;
    # `tools/dev.sh test -n 0` runs them in one process
    python -m pytest test -n auto "$@"
}

run_demo() {
    export PATH="$VENV/bin:$PATH"
    bash examples/demo.sh
}

case "${1:-}" in
    setup) setup ;;
    system-packages) apt_setup ;;
    demo) setup; run_demo ;;
    test) shift; setup; run_tests "$@" ;;
    *) echo "usage: tools/dev.sh setup|system-packages|demo|test" >&2; exit 2 ;;
esac
