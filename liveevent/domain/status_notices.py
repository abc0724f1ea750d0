"""Telling applicants about their status (issue 17 part 4): which changes are told, to whom,
under which key, with what text.

Theory of operation. Staff turn an event's *status notices* on or off (a per-event switch,
off by default). While it is on, the apply form shows one more, separate checkbox: "tell me by
text message when I am invited to an interview or hired" (``CONSENT_TEXT``); an application
made with it ticked carries ``notify_status: true``. A status change into one of
``TOLD_STATUSES`` (``interviewed``, ``hired``) of such an application becomes one notice in the
notifier's outbox, to the applicant's phone.

Exactly one message per status change: the notice's key is made from the change's entry in
the status stream (``notice_key``), which a retried change does not write twice (the STATUS
scripts' once key). The outbox writes a key once, so a sweep that runs again after a crash
enqueues nothing new. None is made while the switch is off: the sweep starts, when the switch
is turned on, from the end of the status stream, and changes made while it was off are never
read. None is made for an applicant who did not tick the box.

Pure: no I/O, no clock.
"""

from __future__ import annotations

from typing import Any

from liveevent.domain.applications import Application, Status

TOLD_STATUSES = frozenset({Status.INTERVIEWED, Status.HIRED})
KEY_PREFIX = "status-"

# The apply form's checkbox while the switch is on (also in static/i18n/*.js, "notices.*").
CONSENT_TEXT = {
    "zh-CN": "通过短信告诉我报名进展（约面试、录用）。号码只用于此通知，由主办方的通知服务发送。",
    "en": (
        "Text me about my application (an interview, a hire). My number is used only for "
        "this message, sent by the organiser's notification service."
    ),
}

# What the message says, by status, in both languages ({employer}, {title}, {event}).
TEXTS = {
    Status.INTERVIEWED: {
        "zh-CN": "【{event}】{employer}邀请您参加「{title}」岗位的面试，请留意该单位的电话。",
        "en": "[{event}] {employer} invites you to an interview for {title}; expect their call.",
    },
    Status.HIRED: {
        "zh-CN": "【{event}】恭喜！您已被{employer}录用（{title}）。",
        "en": "[{event}] Congratulations: {employer} has hired you as {title}.",
    },
}


def is_told(to: str) -> bool:
    """Whether a change into status text ``to`` is told to the applicant. Raises nothing."""
    return to in TOLD_STATUSES


def notice_key(event_id: str, status_entry_id: str) -> str:
    """The notice's idempotency key: one per status change (its status stream entry id,
    ``<ms>-<seq>``). Printable ASCII under 200 characters for ids as liveevent makes them.
    Raises nothing."""
    return f"{KEY_PREFIX}{event_id}-{status_entry_id}"


def wants_notice(application: Application) -> bool:
    """Whether the applicant ticked the status notices box. Raises nothing."""
    return application.notify_status is True


def status_payload(
    application: Application,
    status: Status,
    *,
    event_title: str,
    employer: str,
    title: str,
    application_id: str,
) -> dict[str, Any]:
    """The webhook payload of a status notice: ``{"status", "application_id", "job_id",
    "employer", "title", "event", "text" (Chinese), "text_en"}``. Holds no name: the
    recipient (the phone) is the notice's own field. Raises ``KeyError`` for a status that is
    not told."""
    values = {"event": event_title, "employer": employer, "title": title}
    return {
        "status": str(status),
        "application_id": application_id,
        "job_id": application.job_id,
        "employer": employer,
        "title": title,
        "event": event_title,
        "text": TEXTS[status]["zh-CN"].format(**values),
        "text_en": TEXTS[status]["en"].format(**values),
    }
