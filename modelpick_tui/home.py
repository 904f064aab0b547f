"""The home is private: it holds every prompt and answer, server logs and keys. Folders modelpick creates are
0700 and files it writes 0600, whatever the umask (which can only take bits away, and may be 000); an
existing home that others can read gets a one-line warning.

SQLite gives the WAL and SHM files the mode of the database file, so a database created here 0600 keeps
its companions 0600 too."""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path
from typing import IO, Any

DIR_MODE = 0o700
FILE_MODE = 0o600


def make_private_dir(path: Path) -> None:
    """`path` and its missing parents, each made 0700 (folders that exist are left as they are)."""
    missing = []
    here = Path(path)
    while not here.exists() and here != here.parent:
        missing.append(here)
        here = here.parent
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another process made it first: theirs
            folder.mkdir(mode=DIR_MODE)
            os.chmod(folder, DIR_MODE)


def create_private(path: Path) -> None:
    """An empty file at `path`, mode 0600, unless one is there already (its folders made 0700)."""
    make_private_dir(Path(path).parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return
    try:
        os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)


def open_private(path: Path, mode: str = "w", **kwargs: Any) -> IO[Any]:
    """`open(path, mode)` for writing (truncating), the file 0600 whatever the umask."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
        return os.fdopen(fd, mode, **kwargs)
    except BaseException:
        os.close(fd)
        raise


def write_private(path: Path, text: str) -> None:
    """Write `text` (UTF-8) to `path` through a temporary file, 0600, replacing it at once."""
    tmp = Path(path).with_name(Path(path).name + ".tmp")
    with open_private(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


def loose_home_warning(home: Path, db_path: Path | None = None) -> str | None:
    """One line when the home (or its database) can be read by other users, else None."""
    for path in (home, db_path):
        try:
            mode = stat.S_IMODE(os.stat(path).st_mode) if path is not None else 0
        except OSError:
            continue
        if mode & 0o077:
            fix = f"chmod {'700' if path == home else '600'} {path}"
            return (f"warning: {path} can be read by other users (mode {mode:o}); it holds your prompts and "
                    f"answers: {fix}")
    return None
