"""Every Redis key liveevent uses, in one place.

All keys of one event carry the hash tag ``{event_id}`` so that, on a Redis Cluster, an event's
scripts and multi-key steps stay on one slot. Only the event index is global.

    <p>:events          set     ids of every event (cross-event summary)
    <p>:status_notices  set     ids of the events whose status notices are on (issue 17.4)
    <p>:{E}:meta        hash    event record, state, current card, cursor, token hashes,
                        purged_at (set once applicants' data is purged),
                        replay (the recording, ``domain.replays.Replay``; ``META_REPLAY``),
                        status_notices (Unix ms the status notices were turned on) and
                        status_notices_cursor (the last status entry swept for them)
    <p>:{E}:jobs        hash    job id -> job record
    <p>:{E}:grants      hash    token digest -> named grant (``domain.access.Grant``)
    <p>:{E}:timeline    stream  cards pushed / withdrawn, state changes (viewer cursor)
    <p>:{E}:apps        stream  applications (the record of truth)
    <p>:{E}:apps:purge  stream  the applications being rewritten without names/phones (purge)
    <p>:{E}:status      stream  every status change of every application
    <p>:{E}:audit       stream  exports, status changes, purges: who, what, when
    <p>:{E}:dedupe      hash    "job|phone" -> "application_id|attempt"        (derived)
    <p>:{E}:idem        hash    client idempotency key -> "application_id|dup"  (derived)
    <p>:{E}:appidx      hash    application id -> "stream id|job id"            (derived)
    <p>:{E}:current     hash    application id -> status, if not applied        (derived)
    <p>:{E}:counters    hash    the counter fields below                      (derived)
    <p>:{E}:applicants  hash    phone -> applications with it (after a purge:
                        a salted digest of the phone, the salt discarded)  (derived)
    <p>:{E}:applicants:purge hash  the applicants hash being rewritten (purge)
    <p>:{E}:applicants:city hash  "city|phone" -> applications with both (deleted by the
                        purge; scripts.APPLY)                               (derived)
    <p>:{E}:channels    hash    channel id -> channel record (``domain.attribution.Channel``)
    <p>:{E}:channels:names hash  channel name -> channel id (one channel per name)
    <p>:{E}:uv          hll     unique viewers (the page's viewer id; ``store.attribution``)
    <p>:{E}:uv:city:<city>          hll  unique viewers who declared that city
    <p>:{E}:uv:channel:<channel>    hll  unique viewers who came through that channel
    <p>:{E}:uv:channel_city:<channel>|<city>  hll  both
    <p>:{E}:viewers     hash    node id -> "count|expires_ms" (viewers per node)
    <p>:{E}:byjob:<job> list    ids of the job's applications, oldest first         (derived)
    <p>:{E}:bystatus:<status>        zset  ids (score: the id) of applications whose
                        status is <status>; never "applied", the status of all the rest (derived)
    <p>:{E}:bystatus:<status>:<job>  zset  the same, of one job's applications   (derived)
    <p>:{E}:minutes     hash    minute (ms since the epoch // 60000) -> applications  (derived)
    <p>:{E}:reports     hash    job id -> Unix ms of the last status change of one of its
                        applications (an employer's "last report"; derived, written
                        after each change: ``ApplicationLog.change_status*``)
    <p>:{E}:employers   hash    employer key (``domain.employers.employer_key``) -> its
                        record: name as on its jobs, contact (``store.employers``)
    <p>:{E}:rate:<ip>   string  applications from one address this window (expires)
    <p>:{E}:once:<attempt> string  what a write attempt answered, so a retry of it answers
                        the same and writes nothing (expires; see store/scripts.py)
    <p>:{E}:venues      hash    venue id -> venue record (``domain.venues.Venue``)
    <p>:{E}:checkins    stream  check-ins at venues (the record of truth; names, phones)
    <p>:{E}:checkin:dedupe hash "venue|phone" -> check-in id                     (derived)
    <p>:{E}:checkin:rate:<ip> string  check-ins from one address this window (expires)
    <p>:{E}:station:rate:<venue> string  applications from one venue's station this window
                        (expires)
    <p>:{E}:followups   stream  follow-up marks after hire (7d/30d: retained, left,
                        unknown; who, when; ``domain.followups.Mark``; record of truth)
    <p>:{E}:followup    hash    "application id|checkpoint" -> the latest mark  (derived)
    <p>:{E}:employer:rate:<digest> string  one employer's status changes this window (the
                        SHA-256 of its ``employer_key``, in hex; expires)
    <p>:{E}:signups     stream  sign-ups (预约): the record of truth (store/signups.py)
    <p>:{E}:signups:idx hash    phone -> "signup id|attempt", "k:<digest>" -> signup id
                        (the phone dedupe and idempotency keys)             (derived)
    <p>:{E}:signups:watched set  ids of sign-ups whose page said "watching" while live
    <p>:{E}:signuprate:<ip> string  sign-ups from one address this window (expires)

    <p>:{E}:questions   hash    question id -> question record (``domain.questions.Question``;
                        the record of truth: names as typed, never phones)
    <p>:{E}:questions:pending zset  ids of questions waiting in the host's queue (score:
                        asked_at ms)                                          (derived)
    <p>:{E}:questions:shown:<card> hash  question id -> what every viewer sees of a question
                        shown under that card (``Question.public_wire``, msgpack)  (derived)
    <p>:{E}:question:rate:<ip> string  questions from one address this window (expires)

The notifier's outbox (store/outbox.py) is shared by every event, in one hash slot
(``{notify}``), so that each of its moves is one atomic script on a Redis Cluster too:

    <p>:{notify}:due      zset    notice key -> due time (Unix ms): scheduled notices
    <p>:{notify}:notices  hash    notice key -> the notice (msgpack; dropped once sent)
    <p>:{notify}:state    hash    notice key -> scheduled|queued|sent|dead|cancelled
    <p>:{notify}:queue    stream  due notices to send ({k: key}); consumer group "senders"
    <p>:{notify}:byevent:<E>  set   keys of one event's notices
    <p>:{notify}:dead:<E> zset    keys of one event's dead notices -> time they died

The fields of the counters hash (read them through these names, never by hand-built text):

    applications, applicants, cards_pushed, hires, seq, viewers_peak     (``Counter``)
    app:<job>    applications for one job        (``job_applications``; scripts.APPLY)
    hire:<job>   applications of one job hired   (``job_hires``; scripts.STATUS*)
    checkins     check-ins at every venue        (``Counter.CHECKINS``; scripts.CHECKIN)
    checkin:<venue>  check-ins at one venue      (``venue_checkins``; scripts.CHECKIN)
    questions    questions asked                 (``Counter.QUESTIONS``; scripts.ASK)

    by:city:<city>                applications declaring that city     (``by_dimension``;
    by:channel:<channel>          ... through that channel              scripts.APPLY, from
    by:venue:<venue>              ... made at that venue or station     fields Python names
    by:source:<source>            ... of that source (none: live)       and passes in ARGV)
    by:channel_city:<ch>|<city>   ... with both that channel and city
    applicants:city:<city>        distinct phones that applied declaring that city
                                  (``city_applicants``; scripts.APPLY builds it as
                                  'applicants:city:' .. city)

The index keys (byjob, bystatus) are written by the APPLY and STATUS scripts, which build their
names from ``EventKeys.base`` the same way ``by_job``/``by_status`` do here: an index for a job
or status the script only learns when it runs (the job of an application whose status changes)
cannot be passed in KEYS. They carry the event's hash tag, so on a Cluster they are in the slot
of the keys the script was given, which is all Cluster asks of a script.
"""

from __future__ import annotations

import enum
import functools
import hashlib
from dataclasses import dataclass


class Counter(enum.StrEnum):
    """The event-wide fields of the counters hash (the table above). Raises nothing."""

    APPLICATIONS = "applications"
    APPLICANTS = "applicants"
    CARDS_PUSHED = "cards_pushed"
    HIRES = "hires"
    SEQ = "seq"
    VIEWERS_PEAK = "viewers_peak"
    CHECKINS = "checkins"
    QUESTIONS = "questions"


# The Lua scripts (store/scripts.py) build the same per-job fields as 'app:' .. job and
# 'hire:' .. job; these prefixes are the one statement of that naming on the Python side.
JOB_APPLICATIONS_PREFIX = "app:"
JOB_HIRES_PREFIX = "hire:"


# The meta hash's field holding the event's recording once staff set it (store/replays.py).
META_REPLAY = "replay"

# The meta hash's fields of the status notices (issue 17 part 4, store/status_notices.py): when
# they were turned on (absent: off), and the last status stream entry the sweep has read.
META_STATUS_NOTICES = "status_notices"
META_STATUS_NOTICES_CURSOR = "status_notices_cursor"


def job_applications(job_id: str) -> str:
    """The counters field of one job's applications (``app:<job>``). Raises nothing."""
    return JOB_APPLICATIONS_PREFIX + job_id


def job_hires(job_id: str) -> str:
    """The counters field of one job's hired applications (``hire:<job>``). Raises nothing."""
    return JOB_HIRES_PREFIX + job_id


VENUE_CHECKINS_PREFIX = "checkin:"


def venue_checkins(venue_id: str) -> str:
    """The counters field of one venue's check-ins (``checkin:<venue>``). Raises nothing."""
    return VENUE_CHECKINS_PREFIX + venue_id


# Attribution counters (issue 16). ``by_dimension`` names the applications of one value of one
# dimension (``domain.attribution.Dimension``: city, channel, venue, source, channel_city).
BY_DIMENSION_PREFIX = "by:"
CITY_APPLICANTS_PREFIX = "applicants:city:"


def by_dimension(dimension: str, value: str) -> str:
    """The counters field of the applications with ``value`` in ``dimension``
    (``by:<dimension>:<value>``; a channel x city value is ``<channel>|<city>``).
    Raises nothing."""
    return f"{BY_DIMENSION_PREFIX}{dimension}:{value}"


def city_applicants(city: str) -> str:
    """The counters field of the distinct phones that applied declaring ``city``
    (``applicants:city:<city>``). Raises nothing."""
    return CITY_APPLICANTS_PREFIX + city


@dataclass(frozen=True, slots=True)
class EventKeys:
    """The key names of one event (the table above), all under ``base``
    (``<prefix>:{<event id>}``, hash-tagged for Redis Cluster). Plain strings; raises nothing.
    """

    base: str
    meta: str
    jobs: str
    grants: str
    timeline: str
    apps: str
    apps_purge: str
    status: str
    audit: str
    dedupe: str
    idem: str
    appidx: str
    current: str
    counters: str
    applicants: str
    applicants_purge: str
    viewers: str
    minutes: str
    venues: str
    checkins: str
    checkin_dedupe: str
    reports: str
    employers: str
    followups: str
    followup: str
    questions: str
    questions_pending: str

    def questions_shown(self, card_id: str) -> str:
        """The hash of the questions shown under one card (``scripts.MODERATE`` writes it;
        ``scripts.GREET`` builds the same name from ``base``). Raises nothing."""
        return f"{self.base}:questions:shown:{card_id}"

    applicants_city: str
    channels: str
    channel_names: str
    unique_viewers: str
    signups: str
    signup_index: str
    signups_watched: str

    def by_job(self, job_id: str) -> str:
        """The list of a job's application ids (``scripts.APPLY`` appends to it).

        ``job_id`` is not checked here; raises nothing.
        """
        return f"{self.base}:byjob:{job_id}"

    def by_status(self, status: str, job_id: str | None = None) -> str:
        """The sorted set of application ids with ``status`` (not "applied"), of one job or of
        all (``scripts.STATUS`` moves ids between them). Raises nothing."""
        if job_id is None:
            return f"{self.base}:bystatus:{status}"
        return f"{self.base}:bystatus:{status}:{job_id}"

    def unique_viewers_by(self, dimension: str, value: str) -> str:
        """The HyperLogLog of the viewers with ``value`` in ``dimension`` (city, channel,
        channel_city). Raises nothing."""
        return f"{self.unique_viewers}:{dimension}:{value}"


@dataclass(frozen=True, slots=True)
class OutboxKeys:
    """The notifier's outbox key names (the table above). Plain strings; raises nothing."""

    base: str
    due: str
    notices: str
    state: str
    queue: str

    def by_event(self, event_id: str) -> str:
        """The set of one event's notice keys. Raises nothing."""
        return f"{self.base}:byevent:{event_id}"

    def dead(self, event_id: str) -> str:
        """The sorted set of one event's dead notice keys (score: when they died, Unix ms).

        Raises nothing.
        """
        return f"{self.base}:dead:{event_id}"


class Keys:
    """Key names under one prefix (tests use their own prefix on a shared Redis).

    Every method returns key names only (no I/O) and raises nothing; ids are not checked here.
    """

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.events = f"{prefix}:events"
        self.status_notice_events = f"{prefix}:status_notices"

    def apply_rate(self, event_id: str, ip: str) -> str:
        """The per-address apply counter: in the event's slot, so APPLY can count it.

        Raises nothing.
        """
        return f"{self.prefix}:{{{event_id}}}:rate:{ip}"

    def once(self, event_id: str, attempt: str) -> str:
        """A write attempt's once key: in the event's slot, so the script can set it.

        Raises nothing.
        """
        return f"{self.prefix}:{{{event_id}}}:once:{attempt}"

    def checkin_rate(self, event_id: str, ip: str) -> str:
        """The per-address check-in counter, in the event's slot (scripts.CHECKIN counts it).

        Raises nothing.
        """
        return f"{self.prefix}:{{{event_id}}}:checkin:rate:{ip}"

    def station_rate(self, event_id: str, venue_id: str) -> str:
        """The counter of one venue station's applications this window (scripts.COUNT_RATE).

        Raises nothing.
        """
        return f"{self.prefix}:{{{event_id}}}:station:rate:{venue_id}"

    def employer_rate(self, event_id: str, employer_key: str) -> str:
        """The counter of one employer's status changes this window (scripts.COUNT_RATE),
        named by the SHA-256 of its ``domain.employers.employer_key`` (any text, any length).

        Raises nothing.
        """
        digest = hashlib.sha256(employer_key.encode()).hexdigest()
        return f"{self.prefix}:{{{event_id}}}:employer:rate:{digest}"

    def signup_rate(self, event_id: str, ip: str) -> str:
        """The per-address sign-up counter, in the event's slot (scripts.SIGNUP counts it).

        Raises nothing.
        """
        return f"{self.prefix}:{{{event_id}}}:signuprate:{ip}"

    @functools.cached_property
    def outbox(self) -> OutboxKeys:
        """The notifier's outbox keys (the second table above), all in the ``{notify}`` slot.

        Raises nothing.
        """
        base = f"{self.prefix}:{{notify}}"
        return OutboxKeys(
            base=base,
            due=f"{base}:due",
            notices=f"{base}:notices",
            state=f"{base}:state",
            queue=f"{base}:queue",
        )

    def question_rate(self, event_id: str, ip: str) -> str:
        """The per-address question counter, in the event's slot (scripts.ASK counts it).

        Raises nothing.
        """
        return f"{self.prefix}:{{{event_id}}}:question:rate:{ip}"

    def event(self, event_id: str) -> EventKeys:
        """The keys of one event (cached: every apply asks for them).

        The last 4,096 (prefix, event) pairs are kept; raises nothing.
        """
        return _event_keys(self.prefix, event_id)


@functools.lru_cache(maxsize=4096)  # bounded: event ids also come from URLs
def _event_keys(prefix: str, event_id: str) -> EventKeys:
    base = f"{prefix}:{{{event_id}}}"
    return EventKeys(
        base=base,
        meta=f"{base}:meta",
        jobs=f"{base}:jobs",
        grants=f"{base}:grants",
        timeline=f"{base}:timeline",
        apps=f"{base}:apps",
        apps_purge=f"{base}:apps:purge",
        status=f"{base}:status",
        audit=f"{base}:audit",
        dedupe=f"{base}:dedupe",
        idem=f"{base}:idem",
        appidx=f"{base}:appidx",
        current=f"{base}:current",
        counters=f"{base}:counters",
        applicants=f"{base}:applicants",
        applicants_purge=f"{base}:applicants:purge",
        viewers=f"{base}:viewers",
        minutes=f"{base}:minutes",
        venues=f"{base}:venues",
        checkins=f"{base}:checkins",
        checkin_dedupe=f"{base}:checkin:dedupe",
        reports=f"{base}:reports",
        employers=f"{base}:employers",
        followups=f"{base}:followups",
        followup=f"{base}:followup",
        applicants_city=f"{base}:applicants:city",
        channels=f"{base}:channels",
        channel_names=f"{base}:channels:names",
        unique_viewers=f"{base}:uv",
        signups=f"{base}:signups",
        signup_index=f"{base}:signups:idx",
        signups_watched=f"{base}:signups:watched",
        questions=f"{base}:questions",
        questions_pending=f"{base}:questions:pending",
    )
