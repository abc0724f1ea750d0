"""The data dir and the secrets in it: readable by the account that runs liveevent, and no other.

The data dir holds the embedded store (every applicant's name and phone until a purge), the
generated ``admin_token`` and the demo's ``demo.json`` (its host and staff tokens). Folders are
made 0700 and files 0600, whatever the umask the server was started with; a folder or file left
more open by an older version is tightened when liveevent next opens it. (POSIX modes; on a
file system without them, such as a Windows share, the calls do nothing useful.)
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger(__name__)

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """Make ``path`` (and missing parents) a folder only its owner may enter; returns it.

    An existing folder that others could read or enter is narrowed to 0700 (logged once).
    Parents that already exist are left as they are: they may be shared (``/var/lib``).
    Raises ``OSError`` as ``mkdir`` and ``chmod`` do.
    """
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    _narrow(path, DIR_MODE)
    return path


def private_file(path: Path) -> None:
    """Narrow an existing file to 0600 (nothing if it is missing). Raises ``OSError``."""
    try:
        _narrow(path, FILE_MODE)
    except FileNotFoundError:
        pass


def write_private_text(path: Path, text: str, *, exclusive: bool = False) -> None:
    """Write ``text`` to ``path``, created 0600 (a file already there is narrowed first, so the
    secret is never readable by others, not even for a moment). ``exclusive`` refuses a file
    that exists (``FileExistsError``). Raises ``OSError``.
    """
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    fd = os.open(path, flags, FILE_MODE)
    with os.fdopen(fd, "w") as fh:
        os.fchmod(fd, FILE_MODE)  # O_CREAT's mode applies only to a file it creates
        fh.write(text)


def private_tree(path: Path) -> None:
    """Narrow every folder under ``path`` to 0700 and every file to 0600 (for files written by
    another program, such as the store's, before it ran with a private umask)."""
    for root, dirs, files in os.walk(path):
        for name in dirs:
            _narrow(Path(root) / name, DIR_MODE)
        for name in files:
            try:
                _narrow(Path(root) / name, FILE_MODE)
            except FileNotFoundError:
                pass  # the store removed it meanwhile (an old AOF after a rewrite)


def _narrow(path: Path, mode: int) -> None:
    current = stat.S_IMODE(path.stat().st_mode)
    if current & ~mode:
        log.warning(
            "narrowing %s from %o to %o: other accounts could read it",
            path,
            current,
            current & mode,
        )
        try:
            path.chmod(current & mode)
        except PermissionError:
            # Not ours (a folder an administrator made): say so rather than refuse to start.
            log.warning("could not narrow %s: it belongs to another account", path)
