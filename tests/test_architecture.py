"""Dependencies point one way (gis → grids → layers → api → cli), checked by import-linter."""

import os
from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_hold() -> None:
    """Every contract in pyproject.toml is kept."""
    cwd = Path.cwd()
    os.chdir(ROOT)
    try:
        assert lint_imports(no_cache=True) == 0
    finally:
        os.chdir(cwd)
