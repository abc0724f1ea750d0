"""The positions-remaining benchmark target (issue 16): each "push" is a hire.

``liveevent-hires`` records a hire per push and the viewer workers time the ``openings``
message it brings, as they time a card: a tiny run must deliver every one to every viewer.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.viewers import card_key

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_an_openings_frame_is_keyed_by_job_and_count() -> None:
    frame = {"type": "openings", "job_id": "j1", "hires": 3, "cursor": "1-0"}
    assert card_key(json.dumps(frame).encode()) == "openings:j1:3"
    assert card_key(b'{"type": "viewers", "count": 3}') == ""


@pytest.mark.slow
def test_a_tiny_hires_run_reaches_every_viewer(tmp_path: Path) -> None:
    out = tmp_path / "hires.json"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks",
            "push",
            "--targets",
            "liveevent-hires",
            "--viewers",
            "20",
            "--pushes",
            "3",
            "--warmup",
            "1",
            "--gap",
            "0.05",
            "--json",
            str(out),
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    figures = json.loads(out.read_text())["results"]["liveevent-hires"]
    assert figures["viewers connected"] == 20
    assert figures["missing receipts"] == 0 and figures["push timeouts"] == 0
    assert 0 < figures["push p99 ms"] < 10_000
