"""Settings a new operator gets wrong say what is wrong with them, not only which one it is."""

import pytest

from liveevent.config import load_settings
from liveevent.errors import InvalidInput


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
