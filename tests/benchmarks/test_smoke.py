"""The benchmark harness still works: a tiny push and apply run produces figures.

Not a timed test: it asserts only that every available target was driven end to end (all
viewers connected, every card received, figures computed), so the harness cannot rot between
real benchmark runs. It runs the CLI in a subprocess, as a person would from the README.
"""

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_smoke_run_produces_figures(tmp_path: Path) -> None:
    out = tmp_path / "smoke.json"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "smoke", "--json", str(out)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = json.loads(out.read_text())["results"]
    assert "floor" in results  # the Python floor peer needs nothing beyond the venv
    for name, figures in results.items():
        assert figures["viewers connected"] == 20, name
        assert figures["missing receipts"] == 0, name
        assert 0 < figures["push p99 ms"] < 10_000, name
        assert figures["loadgen CPU ms/push"] > 0, name
    for name in ("floor", "liveevent"):
        if name in results:
            assert results[name]["apply acked"] == 50, name
            assert not math.isnan(results[name]["apply ack p99 ms"]), name


@pytest.mark.slow
def test_delivery_mode_counts_no_duplicate_and_no_gap(tmp_path: Path) -> None:
    """``python -m benchmarks delivery`` drives a real ``liveevent serve`` and checks it."""
    out = tmp_path / "delivery.json"
    command = ["delivery", "--seconds", "3", "--rounds", "1", "--json", str(out)]
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", *command],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    total = json.loads(out.read_text())["total"]
    assert total["connects"] >= 20 and total["messages checked"] > 0, total
    assert (total["duplicates"], total["gaps"], total["wrong"]) == (0, 0, 0), total
    assert "duplicates" in proc.stdout
