"""Every attribute passes exchange is owned by a dialect (issue 16): the
package's sources (outside `dialects/cluster.py`, which owns the `cluster.*`
attributes, and the tests) spell no `tdopt.<name>` attribute name, in code,
comments or docstrings. `tdopt.<module>` (an import path) is not an
attribute name."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OWNER = ROOT / "dialects" / "cluster.py"
NAME = re.compile(r"(?<![\w.])tdopt\.([A-Za-z_]\w*)")


def _modules() -> set[str]:
    """Names that follow `tdopt.` in an import path or a file name."""
    names = {p.name for p in ROOT.iterdir() if p.is_dir()}
    names |= {p.stem for p in ROOT.glob("*.py")}
    return names | {"py"}  # tools/tdopt.py


def attribute_names(text: str, modules: set[str]) -> list[str]:
    """The `tdopt.<name>` spellings in `text` that are not import paths."""
    return [m.group(0) for m in NAME.finditer(text) if m.group(1) not in modules]


def test_the_pattern_finds_attribute_names_and_skips_import_paths():
    modules = _modules()
    text = 'f.attributes["tdopt.kernel"]  # from tdopt.passes import x; `tdopt.role`; tools/tdopt.py'
    assert attribute_names(text, modules) == ["tdopt.kernel", "tdopt.role"]


def test_no_tdopt_attribute_name_outside_the_cluster_dialect():
    modules = _modules()
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT)
        if rel.parts[0] in ("test", ".venv") or path == OWNER:
            continue
        for lineno, line in enumerate(path.read_text().splitlines(), 1):
            for name in attribute_names(line, modules):
                found.append(f"{rel}:{lineno}: {name}")
    assert not found, "attribute names outside dialects/cluster.py:\n" + "\n".join(found)
