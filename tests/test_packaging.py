"""What an installed formcheck carries besides its modules."""

from __future__ import annotations

import tomllib
from pathlib import Path

import formcheck

ROOT = Path(__file__).resolve().parents[1]


def test_the_package_ships_its_types_for_users_type_checkers():
    # PEP 561: an empty py.typed beside the package's modules, packaged into the wheel
    assert (Path(formcheck.__file__).parent / "py.typed").is_file()
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "py.typed" in cfg["tool"]["setuptools"]["package-data"]["formcheck"]
