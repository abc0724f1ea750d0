"""The notifier: sends the outbox's notices to the organiser's webhook (one per process).

Each process that runs the app runs one ``Notifier`` (``notifier_ctx``); they share the work
through the outbox's consumer group (``store/outbox.py``). Three loops:

- the *mover* moves due notices into the send queue every ``notify_poll_s`` (any process may;
  the move is atomic);
- the *reader* takes entries from the queue (at most ``notify_concurrency`` in flight) and
  sends each one: a signed JSON POST (``domain.notices``), then the outcome in the store;
- the *claimer* takes over entries that a crashed process left pending for
  ``notify_claim_idle_s``.

The delivery guarantee (docs/reliability.md, "The notifier"): at least once, with the same
``Idempotency-Key`` on every attempt. A notice is marked sent only after a 2xx; a clean stop
finishes the POSTs in flight and records their outcomes, so a restart sends nothing again. Only
a process that dies between a receiver's answer and the store's acknowledgement (or a POST that
timed out after the receiver took it) leads to a second delivery, with the same key.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import aiohttp

from liveevent.config import Settings
from liveevent.domain import notices
from liveevent.domain.notices import Notice, NoticeKind, NoticeState, Outcome
from liveevent.errors import CorruptEntry, InvalidInput, LiveEventError, StoreUnavailable
from liveevent.store.outbox import Outbox
from liveevent.web.background import cancel_and_wait

log = logging.getLogger(__name__)

ANSWER_BYTES = 1200  # of a receiver's answer read (its status decides; the text is a hint)
ANSWER_READ_S = 1.0  # the answer's text is waited for this long at most, once the status came
READ_BLOCK_MS = 500  # a read waits this long for entries; a stop waits at most this for it
FLUSH_S = 0.01  # deliveries are recorded in the store in batches gathered over this long


@dataclass(frozen=True, slots=True)
class Attempt:
    """One POST's result: the HTTP status (None: timeout or no connection), the first 300
    characters of the answer, and why it failed (``""`` when it did not). Raises nothing."""

    status: int | None
    body: str
    error: str


async def post_notice(
    session: aiohttp.ClientSession,
    url: str,
    secret: bytes,
    notice: Notice,
    *,
    attempt: int,
    timeout_s: float,
    now_s: float,
) -> Attempt:
    """POST one attempt at ``notice`` to ``url``, signed (``domain.notices.sign``).

    Headers: ``Content-Type: application/json``, ``Idempotency-Key``, ``X-Liveevent-Timestamp``
    and ``X-Liveevent-Signature``. Returns the ``Attempt``; never raises for the receiver's
    faults (timeouts, refused connections, bad answers are in the result).

    Redirects are not followed: the signed body (a name, a phone) goes to ``url`` and nowhere
    else, and a 3xx is not a delivery (``classify``: dead). Only the first ``ANSWER_BYTES`` of
    the answer are read, for at most ``ANSWER_READ_S``: a 2xx whose body is huge or never
    ends is still a delivery, not a timeout that would send the notice again.
    """
    body = notices.webhook_body(notice, attempt=attempt)
    ts = int(now_s)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        notices.IDEMPOTENCY_HEADER: notice.key,
        notices.TIMESTAMP_HEADER: str(ts),
        notices.SIGNATURE_HEADER: notices.sign(secret, ts, body),
        "User-Agent": "liveevent-notifier",
    }
    try:
        async with session.post(
            url,
            data=body,
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=timeout_s),
            allow_redirects=False,
        ) as resp:
            text = await _answer_text(resp)
            error = "" if 200 <= resp.status < 300 else f"HTTP {resp.status}"
            return Attempt(resp.status, text, error)
    except TimeoutError:
        return Attempt(None, "", f"no answer within {timeout_s:g} s")
    except aiohttp.ClientError as exc:
        return Attempt(None, "", f"{type(exc).__name__}")


async def _answer_text(resp: aiohttp.ClientResponse) -> str:
    """The first 300 characters of an answer's first ``ANSWER_BYTES``, or what came of them
    within ``ANSWER_READ_S`` (``""`` if nothing did). Raises nothing."""
    try:
        async with asyncio.timeout(ANSWER_READ_S):
            raw = await resp.content.read(ANSWER_BYTES)
    except (TimeoutError, aiohttp.ClientError):
        raw = b""
    return raw.decode("utf-8", errors="replace")[:300]


class Notifier:
    """Sends due notices from ``outbox`` to ``url`` (module docstring).

    ``still_wanted(notice)`` is asked before each send (False: the notice is dropped as
    cancelled, e.g. a reminder for an event that is already live). ``start`` once, ``stop``
    once; ``sent``, ``retried``, ``dead`` and ``claimed`` count this process's outcomes.
    Times in seconds unless named ``_ms``.
    """

    def __init__(
        self,
        outbox: Outbox,
        *,
        url: str,
        secret: bytes,
        consumer: str,
        timeout_s: float = 5.0,
        concurrency: int = 32,
        max_attempts: int = 8,
        backoff_s: float = 2.0,
        backoff_max_s: float = 600.0,
        claim_idle_s: float = 60.0,
        poll_s: float = 0.5,
        still_wanted: Callable[[Notice], Awaitable[bool]] | None = None,
    ) -> None:
        self.outbox = outbox
        self.url = url
        self.secret = secret
        self.consumer = consumer
        self.timeout_s = timeout_s
        self.concurrency = concurrency
        self.max_attempts = max_attempts
        self.backoff_s = backoff_s
        self.backoff_max_s = backoff_max_s
        # An entry is taken over only once its sender has been silent for longer than a send
        # can last (a POST's timeout, then recording it), or a slow send would go out twice.
        self.claim_idle_s = max(claim_idle_s, 2 * timeout_s)
        self.poll_s = poll_s
        self.still_wanted = still_wanted
        self.sent = self.retried = self.dead = self.claimed = 0
        self._inflight: set[asyncio.Task[None]] = set()
        self._loops: list[asyncio.Task[None]] = []
        self._stopping = False
        self._final = False
        self._room = asyncio.Event()
        self._flush_now = asyncio.Event()
        self._completed: list[tuple[str, str]] = []  # sent, not yet recorded: (entry, key)
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        """Create the consumer group if needed and start the loops. Raises
        ``StoreUnavailable`` if the store does not answer."""
        await self.outbox.ensure_group()
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=self.concurrency)
        )
        self._loops = [
            asyncio.create_task(self._mover(), name="notify-mover"),
            asyncio.create_task(self._reader(), name="notify-reader"),
            asyncio.create_task(self._claimer(), name="notify-claimer"),
            asyncio.create_task(self._flusher(), name="notify-flusher"),
        ]

    async def stop(self) -> None:
        """A clean stop: no new reads, the POSTs in flight finish (each within
        ``timeout_s``) and their outcomes are recorded. Raises nothing."""
        self._stopping = True
        self._room.set()
        mover, reader, claimer, flusher = self._loops
        for task in (mover, claimer):  # nothing of theirs is half done
            with contextlib.suppress(Exception):
                await cancel_and_wait(task)
        await asyncio.gather(mover, reader, claimer, return_exceptions=True)
        if self._inflight:
            await asyncio.wait(self._inflight, timeout=self.timeout_s + 5)
        # Every delivery made is recorded before the stop returns (a flush under way is
        # let finish, never cancelled: its notices would be sent again).
        self._final = True
        self._flush_now.set()
        await asyncio.gather(flusher, return_exceptions=True)
        if self._session is not None:
            await self._session.close()

    async def abort(self) -> None:
        """Stop as a crash would: everything cancelled at once, nothing acknowledged (tests).
        Raises nothing."""
        self._stopping = True
        for task in [*self._loops, *self._inflight]:
            task.cancel()
        await asyncio.gather(*self._loops, *self._inflight, return_exceptions=True)
        if self._session is not None:
            await self._session.close()

    # loops ---------------------------------------------------------------------------------
    async def _mover(self) -> None:
        while True:
            try:
                while await self.outbox.move_due(int(time.time() * 1000)) >= 500:
                    pass
            except StoreUnavailable as exc:
                log.warning("notifier: could not move due notices: %s", exc)
            await asyncio.sleep(self.poll_s)

    async def _reader(self) -> None:
        # Entries are read (and their notices loaded) a batch at a time, once a quarter of
        # the slots are free: one read and one load per batch, not per notice.
        batch = max(1, self.concurrency // 4)
        while not self._stopping:
            free = self.concurrency - len(self._inflight)
            if free < batch and self._inflight:
                self._room.clear()
                await self._room.wait()
                continue
            try:
                entries = await self.outbox.read(self.consumer, count=free, block_ms=READ_BLOCK_MS)
                await self._start(entries)
            except LiveEventError as exc:  # the loop never dies: every notice waits on it
                log.warning("notifier: could not read the queue: %s", exc)
                await asyncio.sleep(self.poll_s)

    async def _claimer(self) -> None:
        min_idle_ms = int(self.claim_idle_s * 1000)
        while True:
            await asyncio.sleep(max(self.poll_s, self.claim_idle_s / 4))
            free = self.concurrency - len(self._inflight)
            if free <= 0:
                continue
            try:
                entries = await self.outbox.claim(
                    self.consumer, min_idle_ms=min_idle_ms, count=free
                )
            except StoreUnavailable as exc:
                log.warning("notifier: could not claim stalled notices: %s", exc)
                continue
            self.claimed += len(entries)
            try:
                await self._start(entries)
            except LiveEventError as exc:  # still pending: claimed again next time
                log.warning("notifier: could not load claimed notices: %s", exc)

    async def _start(self, entries: list[tuple[str, str]]) -> None:
        try:
            loaded = await self.outbox.load_many([key for _, key in entries])
        except CorruptEntry:  # one unreadable record: load one by one, bury the bad ones
            loaded = []
            kept = []
            for entry, key in entries:
                try:
                    loaded.append(await self.outbox.load(key))
                    kept.append((entry, key))
                except CorruptEntry:
                    await self.outbox.bury(entry, key)
                    self.dead += 1
                    log.error("notifier: notice %s has an unreadable record; counted dead", key)
            entries = kept
        for (entry, key), (state, notice) in zip(entries, loaded, strict=True):
            task = asyncio.create_task(self._handle(entry, key, state, notice))
            self._inflight.add(task)
            task.add_done_callback(self._done)

    async def _flusher(self) -> None:
        while True:
            await self._flush_now.wait()
            self._flush_now.clear()
            final = self._final  # set by stop once no send is in flight
            if not final:
                await asyncio.sleep(FLUSH_S)  # gather the completions of this moment
            await self._flush()
            if final:
                return

    async def _flush(self) -> None:
        done, self._completed = self._completed, []
        if not done:
            return
        try:
            await self.outbox.complete_many(done)
        except StoreUnavailable as exc:
            # Still pending: taken over after claim_idle_s and sent again (same key).
            log.warning("notifier: %d sent notices not recorded: %s", len(done), exc)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._inflight.discard(task)
        self._room.set()
        if not task.cancelled() and task.exception() is not None:
            log.error("notifier: a send failed unexpectedly", exc_info=task.exception())

    async def _handle(
        self, entry: str, key: str, state: NoticeState | None, notice: Notice | None
    ) -> None:
        try:
            if state is not NoticeState.QUEUED or notice is None:
                await self.outbox.skip(entry)  # sent, cancelled or dead meanwhile
                return
            if self.still_wanted is not None and not await self.still_wanted(notice):
                await self.outbox.cancel_one(notice.key)
                await self.outbox.skip(entry)
                return
            assert self._session is not None
            result = await post_notice(
                self._session,
                self.url,
                self.secret,
                notice,
                attempt=notice.attempts + 1,
                timeout_s=self.timeout_s,
                now_s=time.time(),
            )
            outcome = notices.classify(
                result.status, attempts=notice.attempts + 1, max_attempts=self.max_attempts
            )
            if outcome is Outcome.SENT:
                # Recorded with the others of this moment (one script call, ``_flusher``).
                self._completed.append((entry, key))
                self._flush_now.set()
                self.sent += 1
                return
            failed = notice.failed(result.error)
            now_ms = int(time.time() * 1000)
            if outcome is Outcome.RETRY:
                wait_s = notices.backoff_s(
                    failed.attempts,
                    base_s=self.backoff_s,
                    cap_s=self.backoff_max_s,
                    jitter=random.random(),
                )
                await self.outbox.retry(entry, failed, due_at=now_ms + int(wait_s * 1000))
                self.retried += 1
            else:
                await self.outbox.kill(entry, failed, now=now_ms)
                self.dead += 1
                log.warning(
                    "notifier: notice %s of event %s is dead after %d attempts: %s",
                    key,
                    notice.event_id,
                    failed.attempts,
                    failed.last_error,
                )
        except LiveEventError as exc:
            # Left pending: the claimer takes it back after claim_idle_s, and sends it again.
            log.warning("notifier: notice %s not settled: %s", key, exc)


@contextlib.asynccontextmanager
async def notifier_running(
    settings: Settings,
    outbox: Outbox,
    *,
    node_id: str,
    still_wanted: Callable[[Notice], Awaitable[bool]] | None = None,
) -> AsyncIterator[Notifier | None]:
    """Run a ``Notifier`` for the app's lifetime, if a webhook and a secret are configured
    (else yields None and logs why). Raises ``StoreUnavailable`` at start."""
    if not settings.notify_webhook_url or settings.notify_secret is None:
        if settings.notify_webhook_url or settings.notify_secret is not None:
            log.error("notify_webhook_url and notify_secret are both needed; reminders wait")
        else:
            log.info("no notify_webhook_url: reminders wait in the outbox until one is set")
        yield None
        return
    notifier = Notifier(
        outbox,
        url=settings.notify_webhook_url,
        secret=settings.notify_secret.reveal().encode(),
        consumer=f"{node_id}-{secrets.token_hex(3)}",
        timeout_s=settings.notify_timeout_s,
        concurrency=settings.notify_concurrency,
        max_attempts=settings.notify_max_attempts,
        backoff_s=settings.notify_backoff_s,
        backoff_max_s=settings.notify_backoff_max_s,
        claim_idle_s=settings.notify_claim_idle_s,
        poll_s=settings.notify_poll_s,
        still_wanted=still_wanted,
    )
    await notifier.start()
    try:
        yield notifier
    finally:
        await notifier.stop()


async def send_test(settings: Settings, *, recipient: str, now_s: float) -> Attempt:
    """``liveevent notify test``: POST one signed ``test`` notice to the configured webhook
    and return what it answered. Nothing is stored. Raises ``InvalidInput`` naming
    ``notify_webhook_url`` or ``notify_secret`` when one is not set."""
    if not settings.notify_webhook_url:
        raise InvalidInput(
            "set notify_webhook_url (or LIVEEVENT_NOTIFY_WEBHOOK_URL) first",
            fields={"notify_webhook_url": "required"},
        )
    if settings.notify_secret is None:
        raise InvalidInput(
            "set notify_secret (or LIVEEVENT_NOTIFY_SECRET) first",
            fields={"notify_secret": "required"},
        )
    now_ms = int(now_s * 1000)
    notice = Notice(
        key=f"test:{secrets.token_hex(8)}",
        event_id="",
        kind=NoticeKind.TEST,
        recipient=recipient,
        payload={"text": "【liveevent】这是一条测试消息 (a test message from liveevent)"},
        due_at=now_ms,
        created_at=now_ms,
    )
    async with aiohttp.ClientSession() as session:
        return await post_notice(
            session,
            settings.notify_webhook_url,
            settings.notify_secret.reveal().encode(),
            notice,
            attempt=1,
            timeout_s=settings.notify_timeout_s,
            now_s=now_s,
        )
