"""Make this directory's fuzzer (train_fuzz) importable by its tests."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
