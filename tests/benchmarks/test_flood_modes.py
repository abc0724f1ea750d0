"""The flood benchmark modes still work: a tiny ``push --flooders`` and ``nonreaders`` run
produce their figures (not timed: the lead runs the real ones on a quiet machine)."""

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def _run(tmp_path: Path, *args: str) -> dict[str, Any]:
    out = tmp_path / "figures.json"
    command = [sys.executable, "-m", "benchmarks", *args]
    proc = subprocess.run(
        [*command, "--targets", "liveevent", "--json", str(out)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    figures: dict[str, Any] = json.loads(out.read_text())["results"]["liveevent"]
    return figures


@pytest.mark.slow
def test_push_with_flooders_beside_idle(tmp_path: Path) -> None:
    figures = _run(
        tmp_path,
        *("push", "--viewers", "20", "--pushes", "2", "--warmup", "1", "--gap", "0.05"),
        *("--flooders", "2", "--versus-idle"),
    )
    assert figures["missing receipts"] == 0
    assert figures["idle push p99 ms"] > 0 and figures["loaded push p99 ms"] > 0
    assert figures["flooder connects"] >= 2
    assert figures["flooders cut by the server"] >= 1  # the budget closed them


@pytest.mark.slow
def test_nonreaders_reports_rss(tmp_path: Path) -> None:
    figures = _run(tmp_path, "nonreaders", "--sockets", "4", "--seconds", "1", "--settle", "0.5")
    assert figures["sockets"] == 4 and figures["flooder connects"] == 4
    assert figures["RSS before MiB"] > 0 and figures["RSS peak MiB"] >= figures["RSS before MiB"]
    assert figures["healthy after"] == 1
