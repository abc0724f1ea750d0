"""schemathesis against ``/api/openapi.json`` on a live server: no 5xx, responses match the
schema, invalid input is rejected. Bounded (a few examples per operation) to run in well under
a minute.

The server is ``liveevent serve`` in a child process (schemathesis calls it synchronously) on
the test store, with a key prefix of its own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import Case, GenerationMode, checks
from schemathesis.core.result import Ok
from schemathesis.schemas import APIOperation

from liveevent.store.embedded import free_port
from tests.support import ADMIN_TOKEN, JOBS

pytestmark = pytest.mark.slow

# A schema cannot say everything the server checks (no control characters in a title, a
# mainland mobile number...): a schema-valid body may still get a 422, which is right.
EXCLUDED = [checks.positive_data_acceptance]

# Venues, check-in and stations (issue 16 part 4): each must be described, so fuzzed.
VENUE_OPERATIONS = {
    ("POST", "/api/events/{event_id}/venues"),
    ("GET", "/api/events/{event_id}/venues"),
    ("GET", "/api/events/{event_id}/venues/{venue_id}"),
    ("POST", "/api/events/{event_id}/venues/{venue_id}/stations"),
    ("DELETE", "/api/events/{event_id}/venues/{venue_id}/stations"),
    ("POST", "/api/events/{event_id}/venues/{venue_id}/checkins"),
    ("GET", "/api/events/{event_id}/station"),
    ("POST", "/api/events/{event_id}/venues/{venue_id}/applications"),
}


def _request(url: str, method: str = "GET", body: Any = None, token: str | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"null")


@pytest.fixture(scope="module")
def live_url(store_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    data_dir: Path = tmp_path_factory.mktemp("fuzz")
    env = dict(
        os.environ,
        LIVEEVENT_ADMIN_TOKEN=ADMIN_TOKEN,
        LIVEEVENT_KEY_PREFIX=f"fuzz-{uuid.uuid4().hex[:8]}",
        LIVEEVENT_APPLY_RATE_PER_IP="0",
    )
    with (data_dir / "serve.log").open("wb") as log:
        child = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "liveevent.cli",
                "serve",
                "--port",
                str(port),
                "--redis-url",
                store_url,
                "--data-dir",
                str(data_dir),
            ],
            stdout=log,
            stderr=log,
            env=env,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                _request(url + "/healthz")
                break
            except (urllib.error.URLError, ConnectionError):
                if child.poll() is not None:
                    raise RuntimeError((data_dir / "serve.log").read_text()) from None
                time.sleep(0.05)
        yield url
    finally:
        child.terminate()
        child.wait(timeout=15)


@pytest.fixture(scope="module")
def event(live_url: str) -> dict[str, Any]:
    created = _request(live_url + "/api/events", "POST", {"title": "模糊测试"}, ADMIN_TOKEN)
    _request(f"{live_url}/api/events/{created['id']}/jobs", "POST", JOBS, ADMIN_TOKEN)
    _request(
        f"{live_url}/api/events/{created['id']}/state",
        "POST",
        {"state": "live"},
        created["host_token"],
    )
    # A venue, so that the venue routes (check-in, station, stations) run past their 404.
    venue = _request(
        f"{live_url}/api/events/{created['id']}/venues", "POST", {"name": "一厅"}, ADMIN_TOKEN
    )
    created["venue_id"] = venue["venue"]["id"]
    return created  # type: ignore[no-any-return]


def test_api_conforms_to_its_schema(live_url: str, event: dict[str, Any]) -> None:
    # schemathesis' own pytest plugin does not load under pytest 9: drive hypothesis directly.
    api = schemathesis.openapi.from_url(live_url + "/api/openapi.json")
    operations = []
    for result in api.get_all_operations():
        assert isinstance(result, Ok), result  # a schema error fails the test
        operations.append(result.ok())
    assert len(operations) >= 10
    paths = {(op.method.upper(), op.path) for op in operations}
    assert VENUE_OPERATIONS <= paths, VENUE_OPERATIONS - paths
    calls = 0
    for operation in operations:
        for mode in GenerationMode:
            try:
                calls += _fuzz(operation, mode, live_url, event["id"], event["venue_id"])
            except Unsatisfiable:
                assert mode is GenerationMode.NEGATIVE  # nothing here can be made invalid
    print(
        f"\nschemathesis: {len(operations)} operations, valid and invalid input, "
        f"{calls} calls, no failure"
    )


def _fuzz(
    operation: APIOperation[Any, Any, Any, Any],
    mode: GenerationMode,
    base_url: str,
    event_id: str,
    venue_id: str,
) -> int:
    """Run one operation's cases in one mode; returns how many calls were made."""
    calls = 0

    @given(case=operation.as_strategy(mode))
    @settings(max_examples=8, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def check(case: Case[Any]) -> None:
        nonlocal calls
        # Half the cases aim at the real event, so the handlers past the 404 run too.
        params = case.path_parameters or {}
        if "event_id" in params and calls % 2 == 0:
            params["event_id"] = event_id
            if "venue_id" in params:
                params["venue_id"] = venue_id
        if case.path.endswith("/purge"):
            params["event_id"] = "not-this-one"  # keep the event for the other cases
        calls += 1
        excluded = list(EXCLUDED)
        headers = dict(case.headers or {})
        if mode is GenerationMode.POSITIVE or "Authorization" in headers:
            headers["Authorization"] = f"Bearer {ADMIN_TOKEN}"  # else: left out on purpose
        if mode is GenerationMode.NEGATIVE and case.method == "GET":
            # Queries are lenient by design: unknown parameters are ignored, offset and
            # limit are clamped into range.
            excluded.append(checks.negative_data_rejection)
        case.call_and_validate(base_url=base_url, headers=headers, excluded_checks=excluded)

    check()
    return calls
