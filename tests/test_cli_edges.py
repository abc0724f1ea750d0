"""The CLI at its edges: file errors are one line and exit 2, imports print a short report,
``summary`` shows what has activity, ``watch`` says what URL to give, tokens are shell-safe."""

from __future__ import annotations

import asyncio
import json
import os
import re
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from liveevent.admin import open_office
from liveevent.cli import build_parser, ensure_admin_token, main, settings_from_args
from liveevent.config import Settings
from liveevent.domain.applications import ApplyRequest
from liveevent.domain.events import EventState, LiveEvent
from liveevent.domain.jobs import parse_jobs
from liveevent.errors import InvalidInput
from liveevent.logs import configure_logging
from liveevent.store.applications import Applied, PendingApply
from liveevent.watch import socket_url, watch
from tests.support import ADMIN_TOKEN, LiveServer

EVENT = "edgeevent1"
LOG_LINE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ [A-Z]+ ")  # the store's notes


@pytest.fixture
def store_args(store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setenv("LIVEEVENT_KEY_PREFIX", f"test-{uuid.uuid4().hex[:12]}")
    return ["--redis-url", store_url, "--data-dir", str(tmp_path / "data")]


def _settings(store_args: list[str]) -> Settings:
    # main() points the log handler at the sys.stderr of its time, which may be an earlier
    # test's capture, closed since: point it at this one's before opening the store here.
    configure_logging(log_format="text", verbose=False)
    args = build_parser().parse_args(["summary", *store_args])
    return settings_from_args(args, dict(os.environ))


def _seed(store_args: list[str], jobs: list[dict[str, object]], applied: list[str]) -> None:
    """EVENT, live, with ``jobs`` and one application to each job id in ``applied``."""

    async def seed() -> None:
        async with open_office(_settings(store_args)) as office:
            event = LiveEvent.parse({"title": "边缘测试专场"}, event_id=EVENT, now=0)
            await office.events.create_event(event, {"host": "h", "staff": "s"})
            await office.events.set_state(EVENT, EventState.LIVE, now=1)
            if jobs:
                await office.events.upsert_jobs(
                    EVENT, parse_jobs(jobs, [f"n{n}" for n in range(len(jobs))])
                )
            for n, job_id in enumerate(applied):
                request = ApplyRequest.parse(
                    {"job_id": job_id, "name": "王芳", "phone": f"1371234{n:04d}"}
                )
                (done,) = await office.applications.apply_batch(
                    [PendingApply(event_id=EVENT, request=request, via="http", now=2)]
                )
                assert isinstance(done, Applied), done

    asyncio.run(seed())


def _job_count(store_args: list[str]) -> int:
    async def count() -> int:
        async with open_office(_settings(store_args)) as office:
            return len(await office.events.jobs(EVENT))

    return asyncio.run(count())


def _one_line(err: str) -> str:
    """The error output as the single line it must be (log lines from the store aside)."""
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.strip() and not LOG_LINE.match(line)]
    assert len(lines) == 1, lines
    assert lines[0].startswith("liveevent: "), lines
    return lines[0]


# -- file errors: every command x every kind of bad file ------------------------------------


def _missing(tmp: Path) -> Path:
    return tmp / "no-such-file.csv"


def _folder(tmp: Path) -> Path:
    (tmp / "a-folder.csv").mkdir()
    return tmp / "a-folder.csv"


def _under_a_file(tmp: Path) -> Path:
    (tmp / "plain.txt").write_text("x")
    return tmp / "plain.txt" / "jobs.csv"


def _unreadable(tmp: Path) -> Path:
    if os.geteuid() != 0:
        path = tmp / "secret.csv"
        path.write_text("employer,title\nA,B\n")
        path.chmod(0)
        return path
    # root reads any file whatever its mode; this one fails with EIO instead.
    return Path("/proc/self/mem")


def _binary(tmp: Path) -> Path:
    path = tmp / "photo.csv"
    path.write_bytes(bytes(range(256)) * 40 + b"\x89PNG\r\n\x1a\n\x00\x00")
    return path


def _empty(tmp: Path) -> Path:
    path = tmp / "empty.xlsx"
    path.write_bytes(b"")
    return path


def _not_a_workbook(tmp: Path) -> Path:
    path = tmp / "jobs.xlsx"
    path.write_bytes(b"PK\x03\x04 this zip was cut short")
    return path


READ_FAULTS: dict[str, Callable[[Path], Path]] = {
    "missing": _missing,
    "folder": _folder,
    "under a file": _under_a_file,
    "unreadable": _unreadable,
    "binary, not a sheet": _binary,
    "empty": _empty,
    "broken xlsx": _not_a_workbook,
}
SHEET_COMMANDS = {
    "jobs import": ["jobs", "import", "{file}", "--event", EVENT],
    "jobs import --skip-invalid": ["jobs", "import", "{file}", "--event", EVENT, "--skip-invalid"],
    "outcomes import": ["outcomes", "import", "{file}", "--event", EVENT],
    "outcomes import --dry-run": ["outcomes", "import", "{file}", "--event", EVENT, "--dry-run"],
}


@pytest.mark.parametrize("fault", READ_FAULTS)
@pytest.mark.parametrize("command", SHEET_COMMANDS)
def test_a_sheet_that_cannot_be_read_is_one_line_and_exit_2(
    command: str,
    fault: str,
    store_args: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _seed(store_args, [{"id": "j1", "employer": "京东物流", "title": "仓储管理员"}], [])
    path = READ_FAULTS[fault](tmp_path)
    argv = [str(path) if a == "{file}" else a for a in SHEET_COMMANDS[command]]
    capsys.readouterr()
    assert main([*argv, *store_args]) == 2
    line = _one_line(capsys.readouterr().err)
    assert str(path) in line
    assert _job_count(store_args) == 1  # nothing changed


def _out_missing_folder(tmp: Path) -> Path:
    return tmp / "no-such-folder" / "out.xlsx"


def _out_folder(tmp: Path) -> Path:
    (tmp / "exports").mkdir()
    return tmp / "exports"


def _out_read_only_folder(tmp: Path) -> Path:
    if os.geteuid() == 0:  # root writes anywhere: a path under a file stands in for it
        return _under_a_file(tmp)
    folder = tmp / "read-only"
    folder.mkdir()
    folder.chmod(0o500)
    return folder / "out.csv"


WRITE_FAULTS: dict[str, Callable[[Path], Path]] = {
    "missing folder": _out_missing_folder,
    "a folder": _out_folder,
    "under a file": _under_a_file,
    "read-only folder": _out_read_only_folder,
}


@pytest.mark.parametrize("fault", WRITE_FAULTS)
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_that_cannot_be_written_is_one_line_and_exit_2(
    fmt: str,
    fault: str,
    store_args: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _seed(store_args, [{"id": "j1", "employer": "京东物流", "title": "仓储管理员"}], ["j1"])
    out = WRITE_FAULTS[fault](tmp_path)
    capsys.readouterr()
    argv = ["export", "--event", EVENT, "--format", fmt, "--out", str(out), *store_args]
    assert main(argv) == 2
    line = _one_line(capsys.readouterr().err)
    assert str(out) in line and "cannot write" in line


def _config_missing(tmp: Path) -> Path:
    return tmp / "liveevent.toml"


def _config_not_toml(tmp: Path) -> Path:
    path = tmp / "liveevent.toml"
    path.write_text("[server\nport = = 8080\n")
    return path


def _config_not_text(tmp: Path) -> Path:
    path = tmp / "liveevent.toml"
    path.write_bytes("port = 8080 # 端口\n".encode("utf-16"))
    return path


CONFIG_FAULTS: dict[str, Callable[[Path], Path]] = {
    "missing": _config_missing,
    "folder": _folder,
    "under a file": _under_a_file,
    "not TOML": _config_not_toml,
    "UTF-16, not UTF-8": _config_not_text,
}
CONFIG_COMMANDS = {
    "jobs import": ["jobs", "import", "{sheet}", "--event", EVENT],
    "outcomes import": ["outcomes", "import", "{sheet}", "--event", EVENT],
    "export": ["export", "--event", EVENT, "--out", "{out}"],
    "summary": ["summary"],
    "purge": ["purge", "--event", EVENT],
}


@pytest.mark.parametrize("fault", CONFIG_FAULTS)
@pytest.mark.parametrize("command", CONFIG_COMMANDS)
def test_a_settings_file_that_cannot_be_read_is_one_line_and_exit_2(
    command: str,
    fault: str,
    store_args: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sheet = tmp_path / "jobs.csv"
    sheet.write_text("employer,title\n京东物流,仓储管理员\n", encoding="utf-8")
    config = CONFIG_FAULTS[fault](tmp_path)
    names = {"{sheet}": str(sheet), "{out}": str(tmp_path / "out.csv")}
    argv = [names.get(a, a) for a in CONFIG_COMMANDS[command]]
    assert main([*argv, "--config", str(config), *store_args]) == 2
    line = _one_line(capsys.readouterr().err)
    assert str(config) in line
    assert not (tmp_path / "out.csv").exists()


@pytest.mark.parametrize("fault", ["folder", "not TOML"])
@pytest.mark.parametrize("command", ["serve", "demo"])
def test_the_server_with_a_bad_settings_file_is_one_line_and_exit_2(
    command: str, fault: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = CONFIG_FAULTS[fault](tmp_path)
    argv = [command, "--config", str(config), "--data-dir", str(tmp_path / "data")]
    assert main(argv) == 2
    assert str(config) in _one_line(capsys.readouterr().err)


def test_a_data_dir_that_is_a_file_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The data dir holds the embedded store: with LIVEEVENT_REDIS_URL set (CI's second run,
    # against the machine's Redis) summary would never look at it.
    monkeypatch.delenv("LIVEEVENT_REDIS_URL", raising=False)
    in_the_way = tmp_path / "data"
    in_the_way.write_text("not a folder")
    assert main(["summary", "--data-dir", str(in_the_way)]) == 2
    assert str(in_the_way) in _one_line(capsys.readouterr().err)


@pytest.mark.parametrize(
    "mapping", ["{not json", '["a list"]', '{"单位": 3}'], ids=["not JSON", "a list", "a number"]
)
def test_a_bad_mapping_is_one_line_and_exit_2(
    mapping: str, store_args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _seed(store_args, [], [])
    sheet = tmp_path / "jobs.csv"
    sheet.write_text("单位,岗位\n京东物流,仓储管理员\n", encoding="utf-8")
    argv = ["jobs", "import", str(sheet), "--event", EVENT, "--mapping", mapping]
    assert main([*argv, *store_args]) == 2
    assert "mapping" in _one_line(capsys.readouterr().err)
    assert _job_count(store_args) == 0


# -- a successful import: a short report; the JSON behind --json -----------------------------


def test_jobs_import_prints_a_short_report_and_json_only_when_asked(
    store_args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _seed(store_args, [], [])
    sheet = tmp_path / "jobs.csv"
    rows = [f"j{n:03d},雇主{n % 7},岗位{n},招{n % 9 + 1}人" for n in range(120)]
    sheet.write_bytes(("编号,公司名称,职位名称,招聘人数\r\n" + "\r\n".join(rows)).encode("gbk"))
    argv = ["jobs", "import", str(sheet), "--event", EVENT, *store_args]
    assert main(argv) == 0
    out = capsys.readouterr().out
    lines = out.strip().splitlines()
    assert len(lines) <= 3, out  # not a line per job
    assert "j001" not in out and "{" not in out
    assert re.search(r"created 120\b", lines[0]) and re.search(r"updated 0\b", lines[0])
    for word in ("merged", "repaired", "problems"):
        assert re.search(rf"{word} \d+", lines[0]), lines[0]

    assert main([*argv, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["created"] == 0 and report["updated"] == 120 and len(report["job_ids"]) == 120


def test_outcomes_import_prints_a_short_report_and_json_only_when_asked(
    store_args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    jobs: list[dict[str, object]] = [{"id": "j1", "employer": "京东物流", "title": "仓储管理员"}]
    _seed(store_args, jobs, ["j1", "j1"])
    sheet = tmp_path / "outcomes.csv"
    sheet.write_text(
        "手机,职位编号,结果\n13712340000,j1,录用\n13712340001,j1,录用\n13000000000,j1,录用\n",
        encoding="utf-8",
    )
    argv = ["outcomes", "import", str(sheet), "--event", EVENT, "--dry-run", *store_args]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "changed 2" in out and "unmatched 1" in out and "dry run" in out
    assert "row 4" in out  # the unmatched row is named
    assert "13000000000" not in out and "{" not in out
    assert main([*argv, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["changed"] == 2


# -- summary: what has activity, readable JSON ------------------------------------------------


def test_summary_lists_the_employers_with_activity_and_all_with_all(
    store_args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    jobs: list[dict[str, object]] = [
        {"id": f"q{n}", "employer": f"无人问津公司{n}", "title": "岗位"} for n in range(40)
    ]
    jobs += [
        {"id": "a1", "employer": "顺丰速运", "title": "快递员"},
        {"id": "a2", "employer": "京东物流", "title": "仓储管理员"},
    ]
    _seed(store_args, jobs, ["a1", "a2", "a2"])

    assert main(["summary", *store_args]) == 0
    out = capsys.readouterr().out
    assert "京东物流: 1 jobs, 0 openings, 2 applications" in out
    assert "顺丰速运" in out and "无人问津" not in out
    assert "40 employer(s) with no applications yet (--all lists them)" in out

    assert main(["summary", "--all", *store_args]) == 0
    assert capsys.readouterr().out.count("无人问津公司") == 40

    assert main(["summary", "--json", *store_args]) == 0
    text = capsys.readouterr().out
    assert "京东物流" in text and "\\u" not in text  # readable, not \uXXXX
    report = json.loads(text)
    assert [e["employer"] for e in report["employers"]] == ["京东物流", "顺丰速运"]
    assert report["employers_not_shown"] == 40
    assert len(report["events"][0]["employers"]) == 2

    assert main(["summary", "--json", "--all", *store_args]) == 0
    everything = json.loads(capsys.readouterr().out)
    assert len(everything["employers"]) == 42 and everything["employers_not_shown"] == 0


# -- watch: the URL it is given -------------------------------------------------------------

WRONG_URLS = {
    # given -> what it must suggest instead (None: no guess, but a clear reason)
    "localhost:8080/e/abc": "liveevent watch http://localhost:8080/e/abc",
    "fair.example/e/abc": "liveevent watch http://fair.example/e/abc",
    "127.0.0.1:8080/e/abc/": "liveevent watch http://127.0.0.1:8080/e/abc/",
    "ftp://fair.example/e/abc": "liveevent watch http://fair.example/e/abc",
    "http://h:8080/host/abc#token=SECRET": "liveevent watch http://h:8080/e/abc",
    "https://fair.example/staff/abc#token=SECRET": "liveevent watch https://fair.example/e/abc",
    "http://h/overlay/abc#token=SECRET": "liveevent watch http://h/e/abc",
    "ws://h/ws/host/abc": "liveevent watch http://h/e/abc",
    "http://h:8080/": None,
    "http://h/e/": None,
    "/e/abc": None,
}


@pytest.mark.parametrize("url", WRONG_URLS)
def test_watch_refuses_a_url_that_is_not_a_viewer_page_and_says_what_to_run(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["watch", url]) == 2
    line = _one_line(capsys.readouterr().err)
    instead = WRONG_URLS[url]
    if instead is not None:
        assert line.endswith(instead), line
    else:
        assert "viewer page" in line or "http://" in line, line
    assert "SECRET" not in line  # a host or staff token is never echoed


def test_watch_still_takes_viewer_pages_and_sockets() -> None:
    assert socket_url("http://h:8080/e/abc") == "ws://h:8080/ws/events/abc"
    assert socket_url(" https://fair.example/e/abc/ ") == "wss://fair.example/ws/events/abc"
    assert socket_url("wss://h/ws/events/abc") == "wss://h/ws/events/abc"
    with pytest.raises(InvalidInput) as caught:
        socket_url("h/e/abc")
    assert caught.value.fields == {"url": caught.value.fields["url"]}


async def test_watch_given_a_page_that_answers_200_says_what_to_run(server: LiveServer) -> None:
    event = await server.create_event()
    # A path that is no page of liveevent's, but that a proxy answers: the index.
    with pytest.raises(InvalidInput, match="not an event's viewer page"):
        await watch(f"{server.url}/index.html")
    with pytest.raises(InvalidInput, match=rf"watch {re.escape(server.url)}/e/{event.id}$"):
        await watch(f"{server.url}/host/{event.id}#token={event.host_token}")
    with pytest.raises(InvalidInput, match="names no event"):
        await asyncio.wait_for(watch(f"{server.url}/e/nosuchevent"), 10)


# -- generated tokens are safe to paste into a shell -----------------------------------------

SHELL_SAFE = re.compile(r"[A-Za-z0-9]{32,}")


def test_generated_admin_tokens_are_shell_safe(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # token_urlsafe began with "-" once in 64 draws: 300 draws meet one almost surely.
    for n in range(300):
        made = ensure_admin_token(Settings(data_dir=tmp_path / str(n)))
        assert made.admin_token is not None
        token = made.admin_token.reveal()
        assert SHELL_SAFE.fullmatch(token), token
    assert "\n  -" not in capsys.readouterr().out


async def test_generated_event_tokens_are_shell_safe(server: LiveServer) -> None:
    for _ in range(20):
        status, body = await server.call(
            "POST", "/api/events", token=ADMIN_TOKEN, json_body={"title": "令牌"}
        )
        assert status == 201, body
        for role in ("host", "staff", "overlay"):
            assert SHELL_SAFE.fullmatch(body[f"{role}_token"]), body[f"{role}_token"]
