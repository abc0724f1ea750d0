"""Cities, channels and the figures by dimension of an event, in the store (issue 16).

``AttributionStore.figures`` is the one place the figures by city, channel, venue, source and
channel x city are read: stats, exports, the summary and the fair report all call it, so they
agree. Applications are counted by ``scripts.APPLY`` (counters ``by:<dimension>:<value>`` and
``applicants:city:<city>``, ``store/keys.py``); hires are read from the hired index, O(hires)
(the STATUS scripts stay as they are); unique viewers are HyperLogLogs of the viewer ids the
viewer page sends in its hello (``count_viewer``), about 0.8% off above a few hundred.
"""

from __future__ import annotations

import time
from dataclasses import replace

from liveevent.domain.applications import Status
from liveevent.domain.attribution import (
    MAX_CHANNELS,
    Attribution,
    Channel,
    Dimension,
    EventFigures,
    build_figures,
    channel_city,
    event_cities,
    match_city,
    viewer_dimensions,
)
from liveevent.domain.events import LiveEvent
from liveevent.errors import Conflict
from liveevent.store import codec, keys, scripts
from liveevent.store.applications import ApplicationLog
from liveevent.store.connect import store_call, store_errors
from liveevent.store.events import EventStore

HIRED_PAGE = 500  # hired applications read per store call
# How long a process trusts what it read of an event's cities and channels when it checks an
# application's: an apply must not cost a store read, and a new channel or city list reaches
# every node within this time.
KNOWN_MEMORY_S = 2.0
KNOWN_MEMORY_MAX = 4096


class AttributionStore:
    """An event's cities and channels, unique viewers by city and channel, and its figures by
    every dimension. One per process, on the ``EventStore`` and ``ApplicationLog`` of the
    app. Every method raises ``StoreUnavailable`` when the store does not answer.
    """

    def __init__(
        self,
        events: EventStore,
        applications: ApplicationLog,
        *,
        known_memory_s: float = KNOWN_MEMORY_S,
    ) -> None:
        self.events = events
        self.applications = applications
        self.conn = events.conn
        self.known_memory_s = known_memory_s
        # event id -> (cities, channel ids, monotonic time it is trusted until)
        self._known: dict[str, tuple[tuple[str, ...], frozenset[str], float]] = {}
        # event id -> (length of its status stream, the hired applications' attribution then):
        # the host console and staff page ask every second, and nothing moves in or out of
        # "hired" without a status entry.
        self._hired: dict[str, tuple[int, list[Attribution]]] = {}
        self._unique_viewers = self.conn.reader.register_script(scripts.UNIQUE_VIEWERS)

    # cities -------------------------------------------------------------------------------
    async def set_cities(self, event_id: str, cities: tuple[str, ...]) -> LiveEvent:
        """Replace the event's declared cities; returns the event. Jobs whose city names one
        of the new cities another way (``Ningbo`` for ``宁波``) are given that name.

        Naturally idempotent: a retry writes the same record and job cities again. Raises
        ``NotFound`` for an unknown event, ``StoreUnavailable``.
        """
        view = await self.events.event_view(event_id)
        event = replace(view.event, cities=cities)
        k = self.conn.keys.event(event_id)
        await store_call(self.conn.reader.hset(k.meta, "record", codec.pack(event.to_record())))
        jobs = await self.events.jobs(event_id)
        moved = [
            replace(job, city=match_city(job.city, cities))
            for job in jobs
            if job.city and match_city(job.city, cities) != job.city
        ]
        if moved:
            await self.events.upsert_jobs(event_id, moved)
        self._known.pop(event_id, None)
        return event

    async def cities(self, event_id: str) -> tuple[str, ...]:
        """The event's cities: declared, or its jobs' (``attribution.event_cities``).

        Raises ``NotFound`` for an unknown event, ``StoreUnavailable``.
        """
        view = await self.events.event_view(event_id)
        if view.event.cities:
            return view.event.cities
        return event_cities((), await self.events.jobs(event_id))

    # channels -----------------------------------------------------------------------------
    async def add_channel(self, event_id: str, channel: Channel) -> tuple[Channel, bool]:
        """Store a channel; returns (the channel, True) or, when one of the same name exists,
        (that one, False) and nothing is written.

        Naturally idempotent: the name is claimed first (HSETNX), so a retry finds its own
        claim and answers that channel; a claim whose record was never written (a crash
        between the two writes) is completed by the next call with that name. Raises
        ``NotFound`` for an unknown event, ``Conflict`` past ``MAX_CHANNELS`` (checked before
        the claim: two racing calls may pass it together), ``StoreUnavailable``.
        """
        await self.events.event_view(event_id)
        k = self.conn.keys.event(event_id)
        redis = self.conn.reader
        with store_errors():
            claimed = await redis.hget(k.channel_names, channel.name)
            if claimed is None and await redis.hlen(k.channel_names) >= MAX_CHANNELS:
                raise Conflict(f"an event has at most {MAX_CHANNELS} channels")
            won = await redis.hsetnx(k.channel_names, channel.name, channel.id)
            channel_id = channel.id
            if not won:
                channel_id = codec.text(await redis.hget(k.channel_names, channel.name))
            record = await redis.hget(k.channels, channel_id)
            if record is not None:
                return Channel.from_record(codec.unpack(record)), False
            stored = replace(channel, id=channel_id)
            await redis.hset(k.channels, channel_id, codec.pack(stored.to_record()))
        self._known.pop(event_id, None)
        return stored, True

    async def channels(self, event_id: str) -> list[Channel]:
        """The event's channels, oldest first (an unknown event has none).

        Raises ``StoreUnavailable``.
        """
        k = self.conn.keys.event(event_id)
        raw = await store_call(self.conn.reader.hvals(k.channels))
        found = [Channel.from_record(codec.unpack(v)) for v in raw]
        return sorted(found, key=lambda c: (c.created_at, c.id))

    async def known(self, event_id: str) -> tuple[tuple[str, ...], frozenset[str]]:
        """(the event's cities, its channel ids), remembered for ``known_memory_s`` per
        process: what an application's ``city`` and ``channel`` are checked against.

        Raises ``NotFound`` for an unknown event, ``StoreUnavailable``.
        """
        now = time.monotonic()
        memo = self._known.get(event_id)
        if memo is not None and memo[2] > now:
            return memo[0], memo[1]
        cities = await self.cities(event_id)
        channel_ids = frozenset(c.id for c in await self.channels(event_id))
        if len(self._known) >= KNOWN_MEMORY_MAX:
            self._known.clear()
        if self.known_memory_s > 0:
            self._known[event_id] = (cities, channel_ids, now + self.known_memory_s)
        return cities, channel_ids

    def known_now(self, event_id: str) -> tuple[tuple[str, ...], frozenset[str]] | None:
        """What ``known`` would answer from memory, or None if it must ask the store.

        Raises nothing."""
        memo = self._known.get(event_id)
        if memo is not None and memo[2] > time.monotonic():
            return memo[0], memo[1]
        return None

    # viewers ------------------------------------------------------------------------------
    async def count_viewer(
        self, event_id: str, viewer_id: str, *, city: str | None, channel: str | None
    ) -> None:
        """Count ``viewer_id`` once among the event's unique viewers, and among those of its
        ``city`` and ``channel`` (already checked by the caller). Naturally idempotent
        (PFADD). Returns None. Raises ``StoreUnavailable``.
        """
        k = self.conn.keys.event(event_id)
        with store_errors():
            async with self.conn.reader.pipeline(transaction=False) as pipe:
                pipe.pfadd(k.unique_viewers, viewer_id)
                for dimension, value in viewer_dimensions(city, channel):
                    pipe.pfadd(k.unique_viewers_by(str(dimension), value), viewer_id)
                await pipe.execute()

    # figures ------------------------------------------------------------------------------
    async def hired(self, event_id: str) -> list[Attribution]:
        """The attribution of every hired application, read from the hired index a page at a
        time: O(hires), whatever the number of applications; read again only when the status
        stream has grown since the last read (one XLEN otherwise). Raises ``StoreUnavailable``.
        """
        k = self.conn.keys.event(event_id)
        length = int(await store_call(self.conn.reader.xlen(k.status)))
        memo = self._hired.get(event_id)
        if memo is not None and memo[0] == length:
            return memo[1]
        found = await self._read_hired(event_id)
        if len(self._hired) >= KNOWN_MEMORY_MAX:
            self._hired.clear()
        self._hired[event_id] = (length, found)
        return found

    async def _read_hired(self, event_id: str) -> list[Attribution]:
        found: list[Attribution] = []
        offset = 0
        while True:
            total, page = await self.applications.page(
                event_id, offset=offset, limit=HIRED_PAGE, status=Status.HIRED
            )
            for application, _status in page:
                found.append(
                    Attribution(
                        application.city,
                        application.channel,
                        application.venue,
                        application.source,
                    )
                )
            offset += HIRED_PAGE
            if not page or offset >= total:
                return found

    async def figures(self, event_id: str) -> EventFigures:
        """The event's figures by city, channel, venue, source and channel x city
        (``attribution.build_figures``): the one function stats, exports and reports use.

        Reads the counters, the jobs, the channels, the hired index (O(hires)) and, in one
        script call, a PFCOUNT per city, channel and channel x city pair. Raises ``NotFound``
        for an unknown event, ``StoreUnavailable``.
        """
        view = await self.events.event_view(event_id)
        jobs = await self.events.jobs(event_id)
        cities = view.event.cities or event_cities((), jobs)
        channels = await self.channels(event_id)
        counters = await self.applications.counters(event_id)
        by_value: dict[tuple[Dimension, str], int] = {}
        city_applicants: dict[str, int] = {}
        for name, count in counters.items():
            if name.startswith(keys.BY_DIMENSION_PREFIX):
                dimension, _, value = name[len(keys.BY_DIMENSION_PREFIX) :].partition(":")
                try:
                    by_value[(Dimension(dimension), value)] = count
                except ValueError:
                    continue  # a dimension this version does not know
            elif name.startswith(keys.CITY_APPLICANTS_PREFIX):
                city_applicants[name[len(keys.CITY_APPLICANTS_PREFIX) :]] = count
        wanted: list[tuple[Dimension, str]] = [(Dimension.CITY, c) for c in cities]
        wanted += [(Dimension.CHANNEL, c.id) for c in channels]
        wanted += [
            (Dimension.CHANNEL_CITY, channel_city(c.id, city)) for c in channels for city in cities
        ]
        k = self.conn.keys.event(event_id)
        hlls = [k.unique_viewers] + [k.unique_viewers_by(str(d), v) for d, v in wanted]
        counts = await store_call(self._unique_viewers(keys=hlls, args=[]))
        viewers = {pair: int(n) for pair, n in zip(wanted, counts[1:], strict=True) if n}
        return build_figures(
            cities=cities,
            channels=channels,
            jobs=jobs,
            applications=counters.get(keys.Counter.APPLICATIONS, 0),
            by_value=by_value,
            city_applicants=city_applicants,
            hired=await self.hired(event_id),
            viewers=viewers,
            unique_viewers=int(counts[0]),
        )
