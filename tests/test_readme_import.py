"""The README's "Importing a sheet": its commands, run as written on the file it names, print
what it shows. The README cannot go stale, and the file it names is in the repository."""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import shutil
import subprocess
import sys
import uuid
import zipfile
from pathlib import Path

import openpyxl

from liveevent.admin import open_office
from liveevent.cli import build_parser, settings_from_args
from liveevent.domain.events import EventState, LiveEvent
from liveevent.domain.jobs import headcount_text
from tests.data.make_readme_sheet import build

ROOT = Path(__file__).resolve().parents[1]
SHEET = "tests/data/fair_jobs_messy.xlsx"


def readme_session() -> tuple[list[str], list[str]]:
    """The commands (``$ `` lines, prompt dropped) and the output of the section's console block."""
    readme = (ROOT / "README.md").read_text("utf-8")
    section = readme.split("### Importing a sheet", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```console\n(.*?)```", section, re.S)
    assert block, "no console block in the README's import section"
    lines = block.group(1).splitlines()
    commands = [line[2:] for line in lines if line.startswith("$ ")]
    output = [line for line in lines if not line.startswith("$ ")]
    return commands, output


def _seed_event(environ: dict[str, str], data_dir: Path) -> str:
    """An event like the demo's, empty; its id kept in ``data/demo.json`` as the demo does."""
    args = build_parser().parse_args(["summary", "--data-dir", str(data_dir)])
    settings = settings_from_args(args, environ)
    event_id = "readme" + uuid.uuid4().hex[:6]

    async def seed() -> None:
        async with open_office(settings) as office:
            event = LiveEvent.parse({"title": "退役军人专场直播招聘会"}, event_id=event_id, now=0)
            await office.events.create_event(event, {"host": "h", "staff": "s"})
            await office.events.set_state(event_id, EventState.LIVE, now=1)

    asyncio.run(seed())
    (data_dir / "demo.json").write_text(json.dumps({"event_id": event_id}))
    return event_id


def test_the_readme_import_prints_what_the_readme_shows(store_url: str, tmp_path: Path) -> None:
    commands, shown = readme_session()
    assert any("liveevent jobs import" in c and SHEET in c for c in commands), commands
    # A directory laid out like the README reader's: the clone's tests/data, the demo's data
    # dir, and .venv/bin/liveevent (here: this interpreter running the CLI).
    (tmp_path / "tests" / "data").mkdir(parents=True)
    shutil.copy(ROOT / SHEET, tmp_path / SHEET)
    program = tmp_path / ".venv" / "bin" / "liveevent"
    program.parent.mkdir(parents=True)
    program.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m liveevent.cli "$@"\n')
    program.chmod(0o755)
    environ = dict(os.environ)
    environ |= {
        "LIVEEVENT_REDIS_URL": store_url,
        "LIVEEVENT_KEY_PREFIX": f"test-{uuid.uuid4().hex[:12]}",
        "LIVEEVENT_DATA_DIR": str(tmp_path / "data"),
        "PYTHONPATH": str(ROOT),
    }
    (tmp_path / "data").mkdir()
    event_id = _seed_event(environ, tmp_path / "data")
    done = subprocess.run(
        ["bash", "-euc", "\n".join(commands)],
        cwd=tmp_path,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == shown
    # What the README says the cards read.
    assert _headcounts(environ, tmp_path / "data", event_id) == {
        "片区运营主管": "招10-20人",
        "快递收派员": "招20人以上",
        "仓储管理员": "招若干人",
        "输电线路运维员": "招15人",
        "变电检修工": "招8人",
        "设备维修技师": "招10人以内",
    }


def _headcounts(environ: dict[str, str], data_dir: Path, event_id: str) -> dict[str, str]:
    args = build_parser().parse_args(["summary", "--data-dir", str(data_dir)])

    async def read() -> dict[str, str]:
        async with open_office(settings_from_args(args, environ)) as office:
            jobs = await office.events.jobs(event_id)
        return {job.title: headcount_text(job.openings, job.openings_max) for job in jobs}

    return asyncio.run(read())


def test_the_readme_sheet_is_what_its_script_makes() -> None:
    """``fair_jobs_messy.xlsx`` and ``make_readme_sheet.py`` cannot drift (the zip's timestamps
    aside): the same cells, merged ranges, hidden rows and false size."""

    def shape(xlsx: bytes) -> tuple[object, ...]:
        sheet = openpyxl.load_workbook(io.BytesIO(xlsx)).worksheets[0]
        cells = [list(row) for row in sheet.iter_rows(values_only=True)]
        merged = sorted(str(r) for r in sheet.merged_cells.ranges)
        hidden = sorted(n for n, d in sheet.row_dimensions.items() if d.hidden)
        xml = zipfile.ZipFile(io.BytesIO(xlsx)).read("xl/worksheets/sheet1.xml")
        return cells, merged, hidden, b'<dimension ref="A1"/>' in xml

    on_disk = shape((ROOT / SHEET).read_bytes())
    assert on_disk == shape(build())
    assert on_disk[2] == [7] and on_disk[3] is True
