"""Client-supplied idempotency keys are stored as digests: people put phones in them (issue 12,
item 8). A retry with the same key still gets the first answer, before and after the indexes
are rebuilt from the stream."""

from __future__ import annotations

from liveevent.store import codec
from liveevent.store.rebuild import rebuild
from liveevent.web.appkeys import STORE
from tests.support import LiveServer

PHONE = "13700001234"


async def test_keys_are_stored_hashed_and_a_retry_still_dedupes(server: LiveServer) -> None:
    event = await server.create_event()
    key = f"apply-{PHONE}-job1"  # what some clients send
    status, first = await server.apply(event, "j1", PHONE, idempotency_key=key)
    assert status == 201
    status, again = await server.apply(event, "j1", PHONE, idempotency_key=key)
    assert status == 201 and again == first  # the first answer, again

    conn = server.app[STORE]
    k = conn.keys.event(event.id)
    stored = {(f.decode() if isinstance(f, bytes) else f) for f in await conn.reader.hkeys(k.idem)}
    assert len(stored) == 1
    assert key not in stored and not any(PHONE in f for f in stored), stored
    for _sid, fields in await conn.reader.xrange(k.apps):
        record = codec.unpack(fields[b"d"])
        assert record["idempotency_key"] in stored  # the stream keeps the digest, not the key

    # The idempotency index rebuilt from the stream is the same digest: a retry still dedupes.
    await conn.reader.delete(k.idem)
    await rebuild(conn, event.id)
    status, after = await server.apply(event, "j1", PHONE, idempotency_key=key)
    assert status == 201 and after == first
    status, other = await server.apply(event, "j2", PHONE, idempotency_key=key + "-2")
    assert status == 201 and other["application_id"] != first["application_id"]
