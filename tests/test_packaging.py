"""The package ships every module, its pages and its default config (plain ``pip install .``)."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_subpackage_is_listed_for_setuptools() -> None:
    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    found = {
        ".".join(p.parent.relative_to(ROOT).parts)
        for p in (ROOT / "liveevent").rglob("__init__.py")
    }
    assert found <= listed, f"add to pyproject.toml [tool.setuptools] packages: {found - listed}"


def test_pages_and_defaults_exist_where_the_package_maps_them() -> None:
    for page in ("viewer.html", "host.html", "staff.html", "overlay.html"):
        assert (ROOT / "static" / page).is_file()
    assert (ROOT / "config" / "liveevent.toml").is_file()
