"""``ClusterAddress.parse``: the ``redis+cluster://`` URL of a cluster's seed nodes."""

from __future__ import annotations

import pytest

from liveevent.errors import InvalidInput
from liveevent.store.cluster import ClusterAddress, cluster_url, is_cluster_url


@pytest.mark.parametrize(
    ("url", "seeds", "username", "password"),
    [
        ("redis+cluster://10.0.0.1:7000", (("10.0.0.1", 7000),), None, None),
        (
            "redis+cluster://a:7000, b:7001/0",
            (("a", 7000), ("b", 7001)),
            None,
            None,
        ),
        ("redis+cluster://:p%40ss@h:1", (("h", 1),), None, "p@ss"),
        ("redis+cluster://user:pw@h:1", (("h", 1),), "user", "pw"),
        ("redis+cluster://user@h:1", (("h", 1),), "user", None),
        ("redis+cluster://[::1]:7000", (("::1", 7000),), None, None),
    ],
)
def test_parse(
    url: str, seeds: tuple[tuple[str, int], ...], username: str | None, password: str | None
) -> None:
    assert ClusterAddress.parse(url) == ClusterAddress(seeds, username, password)


@pytest.mark.parametrize(
    "url",
    [
        "redis://h:1",
        "redis+cluster://",
        "redis+cluster://h",
        "redis+cluster://h:port",
        "redis+cluster://h:1,",
        "redis+cluster://:1",
    ],
)
def test_a_url_without_usable_seeds_names_redis_url(url: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        ClusterAddress.parse(url)
    assert set(caught.value.fields) == {"redis_url"}


def test_cluster_url_from_the_nodes_setting() -> None:
    url = cluster_url([" a:1", "b:2 "])
    assert url == "redis+cluster://a:1,b:2" and is_cluster_url(url)
    assert ClusterAddress.parse(url).seeds == (("a", 1), ("b", 2))
    assert not is_cluster_url("redis://a:1")
