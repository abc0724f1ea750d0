"""The staff-page benchmarks still work (not timed: the lead runs the real ones on a quiet
machine): ``benchmarks.staff_pages`` fills a store per size and measures every case beside
the store's own time, and ``push --staff-pages`` holds staff pages open during the pushes."""

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_staff_pages_measures_every_case_at_every_size_and_reuses_its_stores(
    tmp_path: Path,
) -> None:
    out, keep = tmp_path / "pages.json", tmp_path / "stores"
    command = ("benchmarks.staff_pages", "--targets", "liveevent", "--applications", "200,2000")
    options = ("--rounds", "2", "--requests", "1", "--control-count", "500")
    _run(*command, *options, "--keep", str(keep), "--json", str(out))
    report: dict[str, Any] = json.loads(out.read_text())
    for size in ("200", "2,000"):
        rounds = report["rounds"][f"liveevent at {size}"]
        assert len(rounds) == 2
        cases = rounds[0]["cases"]
        assert len(cases) == 15  # 6 filters x first and last page, stats, the chart, its poll
        assert all(case["p50"] > 0 and case["store_cpu_us"] > 0 for case in cases.values())
        assert all(case["server_cpu_us"] > 0 for case in cases.values())
        # Every filtered case has applications to show (job + status included).
        assert all(case["total"] > 0 for name, case in cases.items() if "total" in case)
        calls, usec = cases["status applied, last page"]["per_command"]["evalsha"]
        assert calls == 1 and usec > 0  # one script call a page
        control = report["control"][f"liveevent at {size}"][0]
        assert control["hget us"] > 0 and control["xrange us"] > 0
    memory = report["memory"]["liveevent at 2,000"]
    assert memory["applications"] == 2000 and memory["keys_bytes_no_once"] > 0
    # A second run reuses the filled stores (their marker), and can skip the measuring.
    assert (keep / "liveevent-2000" / "filled.json").is_file()
    _run(*command, "--rounds", "0", "--keep", str(keep), "--json", str(out))
    assert json.loads(out.read_text())["memory"]["liveevent at 2,000"] == memory


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_push_with_staff_pages_beside_applies_and_idle(tmp_path: Path) -> None:
    out = tmp_path / "push.json"
    _run(
        *("benchmarks", "push", "--targets", "liveevent", "--json", str(out)),
        *("--viewers", "20", "--pushes", "3", "--warmup", "1", "--gap", "1"),
        *("--apply-rate", "100", "--staff-pages", "2", "--versus-idle"),
    )
    figures = json.loads(out.read_text())["results"]["liveevent"]
    assert figures["missing receipts"] == 0 and figures["staff errors"] == 0
    for run in ("idle", "applies only", "loaded"):
        assert figures[f"{run} push p99 ms"] > 0
    assert figures["staff list requests per s"] > 0 and figures["staff activity p99 ms"] > 0
    assert figures["staff stats messages per s"] > 0
