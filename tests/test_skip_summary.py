"""The end of a test run says what was skipped and how to enable it (``tests/conftest.py``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SAMPLE = """
import pytest

@pytest.mark.skipif(True, reason="/usr/bin/chromium is missing")
@pytest.mark.parametrize("n", range(3))
def test_page(n):
    pass

@pytest.mark.parametrize("name", ["a.csv", "b.xlsx"])
def test_real_sheet(name):
    pytest.skip(f"/x/../shared/datasets/{name} is not here")

@pytest.mark.skipif(True, reason="libreoffice is not installed")
def test_calc():
    pass

@pytest.mark.skipif(True, reason="something else entirely")
def test_other():
    pass

def test_runs():
    pass
"""


def _run(tmp_path: Path, sample: str) -> str:
    (tmp_path / "conftest.py").write_text(
        "from tests.conftest import pytest_terminal_summary  # noqa: F401\n"
    )
    (tmp_path / "test_sample.py").write_text(sample)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_a_run_with_skips_ends_saying_what_they_need(tmp_path: Path) -> None:
    out = _run(tmp_path, SAMPLE)
    tail = out[out.index("test(s) skipped: what they need") :]
    assert "7 test(s) skipped" in out
    assert "3 browser tests skipped: /usr/bin/chromium is missing" in tail
    assert "to run them: apt-get install chromium fonts-noto-cjk" in tail
    assert "2 tests on the real job sheets skipped: /x/../shared/datasets/a.csv is not here" in tail
    assert "(and 1 more like it)" in tail and "tests/data/SOURCES.md" in tail
    assert "apt-get install libreoffice-calc-nogui" in tail
    assert "1 tests (something else entirely) skipped" in tail


def test_a_run_without_skips_adds_nothing(tmp_path: Path) -> None:
    out = _run(tmp_path, "def test_runs():\n    pass\n")
    assert "skipped" not in out
