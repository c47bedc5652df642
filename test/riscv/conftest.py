"""Make this directory's and test/lowering's helpers (rv_eval, f32_eval) importable."""

import sys
from pathlib import Path

here = Path(__file__).parent
sys.path.insert(0, str(here.parent / "lowering"))
sys.path.insert(0, str(here))
