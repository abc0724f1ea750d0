"""The notifier's pure rules: what an answer means, the backoff, the signature, the reminder
offsets and plan, and sign-up bodies. No event loop, no store."""

from __future__ import annotations

import pytest

from liveevent.domain import notices
from liveevent.domain.notices import Notice, NoticeKind, Outcome
from liveevent.domain.signups import Funnel, SignupRequest
from liveevent.errors import InvalidInput

CLASSIFY = [
    # (status, attempts made, max attempts) -> outcome
    (200, 1, 8, Outcome.SENT),
    (204, 8, 8, Outcome.SENT),
    (500, 1, 8, Outcome.RETRY),
    (503, 7, 8, Outcome.RETRY),
    (503, 8, 8, Outcome.DEAD),
    (None, 1, 8, Outcome.RETRY),  # timeout, refused connection
    (None, 8, 8, Outcome.DEAD),
    (408, 1, 8, Outcome.RETRY),
    (429, 1, 8, Outcome.RETRY),
    (400, 1, 8, Outcome.DEAD),  # the receiver refuses this message: the same bytes again
    (401, 1, 8, Outcome.DEAD),  # would be refused again
    (404, 1, 8, Outcome.DEAD),
    (301, 1, 8, Outcome.DEAD),
]


@pytest.mark.parametrize(("status", "attempts", "cap", "outcome"), CLASSIFY)
def test_classify(status: int | None, attempts: int, cap: int, outcome: Outcome) -> None:
    assert notices.classify(status, attempts=attempts, max_attempts=cap) is outcome


def test_backoff_doubles_up_to_the_cap_with_jitter_within_half() -> None:
    waits = [notices.backoff_s(n, base_s=2, cap_s=60, jitter=0.0) for n in range(1, 8)]
    assert waits == [1, 2, 4, 8, 16, 30, 30]
    for n in range(1, 8):
        low = notices.backoff_s(n, base_s=2, cap_s=60, jitter=0.0)
        high = notices.backoff_s(n, base_s=2, cap_s=60, jitter=0.999)
        assert low < high <= 2 * low


def test_the_signature_covers_timestamp_and_body() -> None:
    secret, body = b"s3cret", b'{"id":"rem:e:1:live"}'
    signature = notices.sign(secret, 1_700_000_000, body)
    assert signature.startswith("sha256=") and len(signature) == 7 + 64

    def ok(
        key: bytes = secret,
        timestamp: str = "1700000000",
        data: bytes = body,
        now_s: float = 1_700_000_100,
    ) -> bool:
        return notices.verify(key, timestamp=timestamp, body=data, signature=signature, now_s=now_s)

    assert ok()
    assert not ok(key=b"other")
    assert not ok(data=body + b" ")
    assert not ok(timestamp="1700000001")
    assert not ok(now_s=1_700_000_000 + 301)  # a replay
    assert not ok(timestamp="soon")


def test_the_body_carries_the_key_twice_and_unescaped_chinese() -> None:
    notice = Notice("rem:e:1:live", "e", NoticeKind.LIVE, "13811112222", {"text": "开播"}, 0, 5)
    body = notices.webhook_body(notice, attempt=2)
    assert '"idempotency_key":"rem:e:1:live"' in body.decode()
    assert '"id":"rem:e:1:live"' in body.decode() and "开播" in body.decode()
    assert Notice.from_record(notice.to_record()) == notice
    with pytest.raises(InvalidInput):
        Notice("键", "e", NoticeKind.LIVE, "", {}, 0, 0).check()


def test_offsets_parse_and_name_a_bad_word() -> None:
    offsets = notices.parse_offsets("1d, 30m ,live,90s")
    assert [(o.label, o.seconds) for o in offsets] == [
        ("1d", 86400),
        ("30m", 1800),
        ("live", 0),
        ("90s", 90),
    ]
    for bad in ("1w", "0m", "30m,30m", "soon"):
        with pytest.raises(ValueError):
            notices.parse_offsets(bad)


def test_the_plan_keeps_only_reminders_still_ahead_and_never_live() -> None:
    offsets = notices.parse_offsets("1d,30m,live")
    start = 10 * 86_400_000
    assert notices.reminder_plan(offsets, starts_at=None, now=0) == []
    plan = notices.reminder_plan(offsets, starts_at=start, now=start - 3_600_000)
    assert [(o.label, due) for o, due in plan] == [("30m", start - 1_800_000)]
    plan = notices.reminder_plan(offsets, starts_at=start, now=0)
    assert [o.label for o, _ in plan] == ["1d", "30m"]


def test_a_sign_up_names_every_bad_field() -> None:
    with pytest.raises(InvalidInput) as caught:
        SignupRequest.parse({"name": "", "phone": "1", "consent": "yes", "city": "长" * 21})
    assert set(caught.value.fields) == {"name", "phone", "consent", "city"}
    req = SignupRequest.parse({"name": " 李秀英 ", "phone": "+86 138-1111-2222", "consent": True})
    assert (req.name, req.phone, req.city) == ("李秀英", "13811112222", None)
    assert "city" not in req.to_record("abc", 1)


def test_the_show_up_rate() -> None:
    assert Funnel(0, 0, 0, 0).show_up_rate == 0.0
    assert Funnel(3, 2, 1, 0).to_wire()["show_up_rate"] == 0.6667
