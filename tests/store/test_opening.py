"""The one way in to the store (``store/opening.py``): a bad store URL is a clear error."""

from __future__ import annotations

from pathlib import Path

import pytest

from liveevent.cli import main
from liveevent.errors import InvalidInput
from liveevent.store.opening import connect


@pytest.mark.parametrize("url", ["http://127.0.0.1:6379", "redis+cluster://no-port"])
async def test_a_url_it_cannot_use_names_redis_url(url: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        await connect(url, key_prefix="test-x", timeout_s=1.0, waitaof_timeout_ms=100)
    assert "redis_url" in caught.value.fields


def test_the_cli_says_so_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["summary", "--redis-url", "http://127.0.0.1:1", "--data-dir", str(tmp_path)]
    assert main(argv) == 2
    assert capsys.readouterr().err.startswith("liveevent: the store URL must begin with")
