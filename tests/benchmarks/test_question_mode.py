"""``python -m benchmarks push --questions``: approved questions are published and timed like
card pushes, beside the floor and card pushes of the same run."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.push import question_ratios
from benchmarks.viewers import card_key

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_a_question_frame_is_keyed_by_its_question_id() -> None:
    frame = {
        "type": "question",
        "question": {"question_id": "q9", "card_id": "c1"},
        "cursor": "1-0",
    }
    assert card_key(json.dumps(frame).encode()) == "q9"
    assert card_key(b'{"type": "question", "question": {}}') == ""
    assert card_key(b'{"type": "card", "card": {"card_id": "c1"}}') == "c1"


def test_question_ratios_compare_with_the_card_and_the_floor() -> None:
    figures = {"push p50 ms": 2.0, "push p99 ms": 4.0, "pooled p99 ms": 8.0}
    results = {
        "floor": figures,
        "liveevent": {k: v * 2 for k, v in figures.items()},
        "liveevent-questions": {k: v * 2.2 for k, v in figures.items()},
    }
    ratios = question_ratios(results)
    assert ratios["question/card push p99 ms"] == pytest.approx(1.1)
    assert ratios["question/floor push p99 ms"] == pytest.approx(2.2)
    assert ratios["card/floor push p99 ms"] == pytest.approx(2.0)
    assert question_ratios({"floor": figures}) == {}


@pytest.mark.slow
def test_push_questions_runs_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "questions.json"
    command = ["push", "--targets", "floor,liveevent", "--questions", "--viewers", "20"]
    command += ["--pushes", "3", "--warmup", "1", "--gap", "0.05", "--json", str(out)]
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", *command],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    saved = json.loads(out.read_text())
    questions = saved["results"]["liveevent-questions"]
    assert questions["viewers connected"] == 20
    assert questions["missing receipts"] == 0 and questions["push timeouts"] == 0
    assert "question/card push p99 ms" in saved["questions vs cards (same run)"]
