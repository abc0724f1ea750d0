"""The web layer reaches the store only through the store classes (issue 15, part 2 point 3).

``web/`` may hold a ``StoreConnection`` (the app factory opens it; metrics read its pool), but
no handler sends a Redis command itself: ``EventStore`` and ``ApplicationLog`` do, each call
translated once (``store_call``) and documented there.
"""

from __future__ import annotations

import ast
from pathlib import Path

WEB = Path(__file__).resolve().parents[2] / "liveevent" / "web"

# The redis-py clients of a StoreConnection: reaching one is sending Redis commands directly.
CLIENTS = {"reader", "writer", "tail"}
# What only the store's own modules may use.
BANNED_IMPORTS = {"redis", "liveevent.store.connect.store_call", "liveevent.store.scripts"}


def _violations(path: Path) -> list[str]:
    found = []
    tree = ast.parse(path.read_text())
    # ``events.tail(...)`` is a store method, called; ``conn.tail.xread(...)`` uses a client.
    called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in CLIENTS and id(node) not in called:
            # ``x.conn.reader`` / ``conn.writer``: a redis-py client of the store connection.
            base = node.value
            name = base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", "")
            if name in {"conn", "store", "connection"}:
                found.append(f"{path.name}:{node.lineno} uses .{name}.{node.attr}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "redis":
                    found.append(f"{path.name}:{node.lineno} imports {alias.name}")
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = {f"{node.module}.{a.name}" for a in node.names}
            if node.module.split(".")[0] == "redis" or names & BANNED_IMPORTS:
                found.append(f"{path.name}:{node.lineno} imports from {node.module}")
    return found


def test_no_handler_sends_redis_commands_itself() -> None:
    found = [v for path in sorted(WEB.glob("*.py")) for v in _violations(path)]
    assert found == [], "web/ talks to Redis directly:\n" + "\n".join(found)


def test_the_check_sees_a_direct_call(tmp_path: Path) -> None:
    sample = tmp_path / "handler.py"
    sample.write_text(
        "import redis\nasync def f(request):\n    await request.app[1].conn.reader.ping()\n"
    )
    assert _violations(sample) == ["handler.py:1 imports redis", "handler.py:3 uses .conn.reader"]
