"""The client's address: the TCP peer, or what a trusted proxy in front of us says it is.

Every per-address rule (apply limits, socket caps, pending connections) asks
``client_ip(request)`` and nothing else; logs and metrics carry no addresses at all.

An IPv6 client is counted by its /64 network (``2001:db8:1:2::/64``): a phone on a mobile
network gets a whole /64 for itself and can use any address in it, so counting single IPv6
addresses would give one phone 2**64 allowances. A home or office LAN shares its /64 the way
IPv4 clients share a NAT address.

The rule. When the TCP peer is in ``trusted_proxies``, the client is the right-most address of
the forwarding header that is not itself a trusted proxy: each proxy appends the address it
was connected from, so every entry to the right of the first untrusted one was written by a
proxy we trust, and everything to its left (what the client sent) may be forged. From any other
peer the headers are ignored. If that right-most untrusted entry is not an address at all
(``unknown``, an RFC 7239 obfuscated node such as ``_hidden``, garbage), the client is taken
to be the last trusted hop: the limits then fall on the proxy's address, which is strict but
cannot be escaped by sending garbage.

Only one header is read, the one the proxy writes (``forwarded_header``: ``X-Forwarded-For``,
the default, or RFC 7239 ``Forwarded``). A proxy passes the other one through untouched, so
reading both would let a client forge its address through the one the proxy does not write.

Why not aiohttp-remotes (maintained, aio-libs): its ``XForwardedStrict`` answers 400 to every
peer that is not a listed proxy and to a chain whose length differs from the configured hop
list (so a client behind its own corporate proxy, which adds an ``X-Forwarded-For``, is
refused), it refuses several ``X-Forwarded-For`` lines, and it also rewrites scheme and host
from ``X-Forwarded-Proto``/``-Host``. The rule above (ignore the headers from other peers,
take the right-most untrusted entry) is about forty lines with the standard ``ipaddress``.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable, Sequence

from aiohttp import web

from liveevent.web.appkeys import SETTINGS

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

X_FORWARDED_FOR = "x-forwarded-for"
FORWARDED = "forwarded"
# A header longer than this many entries is cut to its right-most ones: only they can have
# been written by our proxies, and a forged list of thousands must not cost a parse each.
MAX_HOPS = 32


def parse_address(text: str) -> Address | None:
    """An address from a header entry: ``1.2.3.4``, ``1.2.3.4:80``, ``2001:db8::1``,
    ``[2001:db8::1]:80`` (IPv4-mapped IPv6 becomes IPv4). ``None`` if it is not one.

    Also takes an RFC 7239 ``for=`` value (quoted, IPv6 in brackets); never raises."""
    text = text.strip().strip('"').strip()
    if text.startswith("["):
        end = text.find("]")
        if end < 0 or (end + 1 < len(text) and not text[end + 1 :].startswith(":")):
            return None
        text = text[1:end]
    elif text.count(":") == 1:  # IPv4 with a port (an IPv6 address has two colons or more)
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


@functools.lru_cache(maxsize=8)
def trusted_networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    """The networks of ``trusted_proxies`` entries (addresses or CIDRs); ValueError if bad.

    Host bits are allowed (``strict=False``). Raises ``ValueError`` for an entry that is
    neither; ``config`` checks the setting at start, so a running server never sees one.
    """
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries)


def _trusted(address: Address, networks: Sequence[Network]) -> bool:
    return any(address in network for network in networks)


def _x_forwarded_for(values: Iterable[str]) -> list[str]:
    # Several header lines are one list, in order (RFC 9110 section 5.3).
    return [entry for value in values for entry in value.split(",")]


def _forwarded(values: Iterable[str]) -> list[str]:
    """The ``for=`` of each RFC 7239 element; an element without one counts as unknown."""
    hops: list[str] = []
    for value in values:
        for element in _split_outside_quotes(value, ","):
            found = "unknown"
            for pair in _split_outside_quotes(element, ";"):
                name, _, token = pair.partition("=")
                if name.strip().lower() == "for":
                    found = token.strip()
            hops.append(found)
    return hops


def _split_outside_quotes(text: str, separator: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    for char in text:
        if char == '"':
            quoted = not quoted
        if char == separator and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def resolve(
    peer: str | None,
    header_values: Sequence[str],
    networks: tuple[Network, ...],
    *,
    header: str = X_FORWARDED_FOR,
) -> str:
    """The client's address (canonical text) from the TCP ``peer`` and the forwarding header.

    ``header_values`` are the lines of ``header`` (``x-forwarded-for`` or ``forwarded``) in the
    order received. Returns ``"unknown"`` only when the peer itself is unknown (a closed socket).
    ``forwarded`` is read as RFC 7239 (section 4, the ``for`` parameter; section 6 for
    ``unknown`` and obfuscated nodes); ``x-forwarded-for`` as a comma list, several lines
    being one list (RFC 9110 section 5.3). Only the right-most ``MAX_HOPS`` entries are read.
    Never raises: an entry that is not an address ends the walk.
    """
    if peer is None:
        return "unknown"
    peer_address, peer_trusted = _hop(peer, networks)
    if peer_address is None:  # a Unix socket or similar: no address to judge
        return peer
    if not peer_trusted or not header_values:
        return peer_address
    if header == FORWARDED:
        hops = _forwarded(header_values)
    else:
        hops = _x_forwarded_for(header_values)
    client = peer_address
    for entry in reversed(hops[-MAX_HOPS:]):
        address, trusted = _hop(entry, networks)
        if address is None:
            break  # unknown or obfuscated: the last trusted hop stands for the client
        client = address
        if not trusted:
            break
    return client


# Parsing an address and testing it against the networks costs ~3 us; the peer is nearly
# always the same proxy, and a client's entry repeats with each of its requests. Only entries
# from the right up to the client are ever parsed (our proxies wrote them, not the client),
# and the cache is bounded: distinct clients evict each other, nothing grows.
@functools.lru_cache(maxsize=4096)
def _hop(text: str, networks: tuple[Network, ...]) -> tuple[str | None, bool]:
    """(canonical address or None, whether it is in ``networks``)."""
    address = parse_address(text)
    if address is None:
        return None, False
    return str(address), _trusted(address, networks)


def address_key(address: str) -> str:
    """What per-address rules count: an IPv4 address as is, an IPv6 address as its /64.

    ``"2001:db8:1:2::/64"`` for an IPv6 one; anything that is not an address comes back as
    given. Never raises.
    """
    if ":" not in address:  # IPv4 (canonical already) or "unknown": the common, fast case
        return address
    parsed = parse_address(address)
    if isinstance(parsed, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((int(parsed) >> 64 << 64, 64)))
    return str(parsed) if parsed is not None else address


def client_ip(request: web.Request) -> str:
    """The client of ``request`` as the per-address rules count it (``address_key``), under
    the rule in the module docstring: ``"198.51.100.7"``, ``"2001:db8:1:2::/64"``.

    ``"unknown"`` for a closed socket. Raises nothing for settings ``config`` accepted."""
    settings = request.app[SETTINGS]
    if not settings.trusted_proxies:  # no proxy configured: the peer
        return address_key(request.remote or "unknown")
    header = settings.forwarded_header
    return address_key(
        resolve(
            request.remote,
            request.headers.getall(header, ()),
            trusted_networks(settings.trusted_proxies),
            header=header,
        )
    )
