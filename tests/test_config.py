"""``load_settings``: defaults < TOML file < environment < explicit overrides; bad input names
the setting and says what is wrong with it; secrets never print."""

from __future__ import annotations

from pathlib import Path

import pytest

from liveevent.config import Secret, Settings, load_settings
from liveevent.errors import InvalidInput


def test_defaults_with_nothing_given() -> None:
    assert load_settings() == Settings()


def test_each_source_overrides_the_one_before(tmp_path: Path) -> None:
    path = tmp_path / "liveevent.toml"
    # Tables are only for people: their keys are the setting names.
    path.write_text('[server]\nport = 9001\nhost = "0.0.0.0"\n[store]\nkey_prefix = "file"\n')
    environ = {"LIVEEVENT_PORT": "9002", "LIVEEVENT_KEY_PREFIX": "env", "OTHER": "x"}
    settings = load_settings(path, environ, {"port": 9003, "host": None})
    assert settings.port == 9003  # override > environment > file
    assert settings.key_prefix == "env"  # environment > file
    assert settings.host == "0.0.0.0"  # an override of None leaves the value below it
    assert load_settings(path).port == 9001


def test_cluster_nodes_from_the_environment() -> None:
    settings = load_settings(environ={"LIVEEVENT_REDIS_CLUSTER_NODES": " a:1, b:2 ,,"})
    assert settings.redis_cluster_nodes == ("a:1", "b:2")


@pytest.mark.parametrize(
    ("source", "name"),
    [
        ({"LIVEEVENT_PORT": "eighty"}, "port"),
        ({"LIVEEVENT_STORE_TIMEOUT_S": "soon"}, "store_timeout_s"),
        ({"LIVEEVENT_TIME_ZONE": "Mars/Olympus"}, "time_zone"),
    ],
)
def test_a_bad_value_names_the_setting(source: dict[str, str], name: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        load_settings(environ=source)
    assert set(caught.value.fields) == {name}


def test_an_unknown_key_in_the_file_names_it(tmp_path: Path) -> None:
    path = tmp_path / "liveevent.toml"
    path.write_text("[server]\nprot = 8080\n")
    with pytest.raises(InvalidInput) as caught:
        load_settings(path)
    assert set(caught.value.fields) == {"prot"}


def test_secrets_never_print() -> None:
    settings = load_settings(
        environ={
            "LIVEEVENT_REDIS_URL": "redis://:hunter2@store:6379/0",
            "LIVEEVENT_ADMIN_TOKEN": "tok-hunter3",
        }
    )
    assert settings.redis_url == Secret("redis://:hunter2@store:6379/0")
    assert settings.admin_token is not None
    assert settings.admin_token.reveal() == "tok-hunter3"
    shown = repr(settings) + str(settings)
    assert "hunter2" not in shown and "hunter3" not in shown


@pytest.mark.parametrize(
    ("env", "value", "says"),
    [
        ("LIVEEVENT_TRUSTED_PROXIES", "10.0.0.1,nginx.local", "'nginx.local'"),
        ("LIVEEVENT_PUBLIC_URL", "fair.example.edu.cn", "https://"),
        ("LIVEEVENT_PUBLIC_URL", "https://", "https://"),
        ("LIVEEVENT_TIME_ZONE", "Asia/Beijing", "IANA"),
    ],
)
def test_a_bad_setting_is_named_with_its_reason(env: str, value: str, says: str) -> None:
    with pytest.raises(InvalidInput) as bad:
        load_settings(environ={env: value})
    name = env.removeprefix("LIVEEVENT_").lower()
    assert list(bad.value.fields) == [name]
    assert f"setting '{name}' is invalid: " in bad.value.message
    assert says in bad.value.message


def test_public_url_needs_a_scheme_and_a_host_and_nothing_more() -> None:
    # "fair.example.edu.cn" was taken as it was: QR codes held no link a phone opens and every
    # browser request was refused as cross-origin, with nothing at start to say why.
    with pytest.raises(InvalidInput):
        load_settings(environ={"LIVEEVENT_PUBLIC_URL": "fair.example.edu.cn"})
    for value, stored in [
        ("https://fair.example.edu.cn/", "https://fair.example.edu.cn"),
        ("http://192.168.1.20:8080", "http://192.168.1.20:8080"),
        ("", None),
    ]:
        assert load_settings(environ={"LIVEEVENT_PUBLIC_URL": value}).public_url == stored
