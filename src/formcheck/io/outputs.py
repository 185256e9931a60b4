"""Where results go: one guard for every file a command writes, and atomic writes.

A user's files are sacred. Every command that writes (``analyze --json/--report/--out-video``,
``live --record/--json``, ``routine --json``, ``batch --out``, the history file) checks each
output path with :func:`check_output_file` (or :func:`check_output_dir`) *before* any work
starts, and writes through :func:`write_atomic`, so:

* an output is never one of the inputs: same path, a ``../`` spelling of it, a symlink to it
  or a hard link of it (compared by device and inode, not by name);
* an output is not a folder or a device, its name fits the file system's limit, and the
  folder it goes into can be created and written;
* a write that fails (a full disk, a folder made read-only meanwhile) leaves no temporary
  file and no half-written result, and says in one line which disk is full.

Nothing here creates a folder while checking, so a command that fails early leaves nothing
behind.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType

from formcheck.core.errors import FormcheckError

#: prefix of every temporary file (fixed length, so a long result name cannot make it too long)
TMP_PREFIX = ".formcheck-"


class OutputError(FormcheckError):
    """An output path that cannot or must not be written (the message is user-facing)."""


# ---- comparing files --------------------------------------------------------------------------


def _stat(path: str | os.PathLike[str]) -> os.stat_result | None:
    try:
        return os.stat(path)  # follows symlinks: a link to an input is that input
    except (OSError, ValueError):
        return None


def same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """True when ``a`` and ``b`` are the same existing file (device and inode), whatever the
    spelling: ``../`` paths, symlinks and hard links included."""
    sa, sb = _stat(a), _stat(b)
    if sa is None or sb is None:
        return False
    return (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino)


def _same_place(a: Path, b: Path) -> bool:
    """Same file, or (for paths that do not exist yet) the same absolute spelling."""
    if same_file(a, b):
        return True
    return os.path.normpath(os.path.abspath(a)) == os.path.normpath(os.path.abspath(b))


def _nearest_existing(folder: Path) -> Path:
    p = Path(os.path.abspath(folder))
    while not p.exists() and p != p.parent:
        p = p.parent
    return p


def name_max(folder: str | os.PathLike[str]) -> int:
    """The longest file name (bytes) the file system holding ``folder`` accepts."""
    try:
        return os.pathconf(_nearest_existing(Path(folder)), "PC_NAME_MAX")
    except (OSError, ValueError):
        return 255


def check_name_length(path: str | os.PathLike[str], what: str) -> None:
    """OutputError when ``path``'s last part is longer than its file system allows."""
    p = Path(path)
    n = len(os.fsencode(p.name))
    limit = name_max(p.parent)
    if n > limit:
        raise OutputError(f"{what}: file name too long ({n} bytes; this file system allows "
                          f"{limit}): {_short_name(p.name)}")


def _short_name(name: str, keep: int = 40) -> str:
    return name if len(name) <= keep else f"{name[:keep // 2]}...{name[-keep // 2:]}"


def _check_folder_writable(folder: Path, what: str) -> None:
    """The folder (or the nearest part of it that exists, when it is to be created) must be a
    writable folder."""
    base = _nearest_existing(folder)
    if not base.is_dir():
        raise OutputError(f"{what}: {base} is a file, so the folder {folder} cannot be made")
    if not os.access(base, os.W_OK | os.X_OK):
        ro = _read_only_fs(base)
        raise OutputError(f"{what}: folder {base} is not writable"
                          + (" (read-only file system)" if ro else ""))


def _read_only_fs(folder: Path) -> bool:
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False


# ---- the guard ----------------------------------------------------------------------------------


def check_output_file(path: str | os.PathLike[str], *, flag: str,
                      inputs: Iterable[str | os.PathLike[str]] = (),
                      suffixes: tuple[str, ...] | None = None, append: bool = False) -> Path:
    """Check, before any work, that ``path`` may be written as a result; returns it.

    Raises :class:`OutputError` (one line naming ``flag``) when the path is one of
    ``inputs`` (by device and inode: symlinks, hard links and ``../`` spellings included), a
    folder or something other than a regular file, has a suffix not in ``suffixes``, a name
    too long for its file system, or lies in a folder that cannot be created or written.
    ``append``: the file is appended to (the history), so an existing one must be writable.
    """
    p = Path(path).expanduser()
    what = f"{flag} {path}"
    if not str(path):
        raise OutputError(f"{flag}: empty file name")
    check_name_length(p, flag)
    for inp in inputs:
        if same_file(p, inp):
            raise OutputError(f"{what} is an input ({inp}); formcheck never writes over an "
                              "input - choose another file name")
    st = _stat(p)
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise OutputError(f"{what} is a folder; give a file name")
    if st is not None and not stat.S_ISREG(st.st_mode):
        raise OutputError(f"{what} is not a regular file; give a file name")
    if suffixes and p.suffix.lower() not in suffixes:
        raise OutputError(f"{what}: the file name must end in {' or '.join(suffixes)}")
    if append and st is not None and not os.access(p, os.W_OK):
        raise OutputError(f"{what} is not writable"
                          + (" (read-only file system)" if _read_only_fs(p.parent) else ""))
    _check_folder_writable(p.parent, flag)
    return p


def check_distinct(outputs: Mapping[str, str | os.PathLike[str] | None]) -> None:
    """OutputError when two flags name the same file (``--json X --report X``)."""
    seen: list[tuple[str, Path]] = []
    for flag, path in outputs.items():
        if not path:
            continue
        p = Path(path).expanduser()
        for other_flag, other in seen:
            if _same_place(p, other):
                raise OutputError(f"{other_flag} and {flag} both name {path}; give each its "
                                  "own file")
        seen.append((flag, p))


def check_output_dir(folder: str | os.PathLike[str], *, flag: str,
                     inputs: Iterable[str | os.PathLike[str]] = (),
                     files: Iterable[str] = ()) -> Path:
    """Check, before any work, that results can go into ``folder``; returns it.

    ``files``: the names the command will write in it (each checked against ``inputs`` and
    for its length). The folder may not exist yet; it is not created here.
    """
    d = Path(folder).expanduser()
    check_name_length(d, flag)
    if d.exists() and not d.is_dir():
        raise OutputError(f"{flag} {folder} is a file; give a folder")
    inputs = list(inputs)
    for inp in inputs:
        if same_file(d, inp):
            raise OutputError(f"{flag} {folder} is an input; choose another folder")
    _check_folder_writable(d, flag)
    for name in files:
        target = d / name
        check_not_input(target, inputs, flag=flag, folder=folder)
        check_name_length(target, flag)
    return d


def check_not_input(target: str | os.PathLike[str], inputs: Iterable[str | os.PathLike[str]], *,
                    flag: str, folder: str | os.PathLike[str]) -> None:
    """OutputError when ``target``, a file to be written in ``folder`` (given by ``flag``), is
    one of ``inputs`` (by device and inode)."""
    for inp in inputs:
        if same_file(target, inp):
            raise OutputError(f"{flag} {folder}: {target} would be written, and it is an "
                              f"input ({inp}); formcheck never writes over an input - "
                              "choose another folder")


# ---- writing ------------------------------------------------------------------------------------


def file_mode() -> int:
    """0666 less this process's umask (read without changing it; 0644 if unknown)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except OSError:
        pass
    return 0o644


def mount_point(path: str | os.PathLike[str]) -> Path:
    """The mount point of the file system that holds ``path`` (or its nearest existing part)."""
    p = _nearest_existing(Path(path))
    try:
        dev = os.stat(p).st_dev
        while p != p.parent and os.stat(p.parent).st_dev == dev:
            p = p.parent
    except OSError:
        pass
    return p


def describe_write_error(exc: OSError, path: str | os.PathLike[str]) -> str:
    """One line for a failed write, naming the full disk when that is the cause."""
    path = Path(path)
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        why = "no space left" if exc.errno == errno.ENOSPC else "disk quota exceeded"
        return (f"cannot write {path}: the disk is full ({why} on {mount_point(path.parent)}); "
                "free some space or choose another folder")
    if exc.errno == errno.EROFS:
        return f"cannot write {path}: {mount_point(path.parent)} is a read-only file system"
    if exc.errno == errno.ENAMETOOLONG:
        return f"cannot write {_short_name(str(path), 80)}: file name too long"
    return f"cannot write {path}: {exc.strerror or exc}"


def write_atomic(path: str | os.PathLike[str], data: str | bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder, flushed to disk
    and then renamed over ``path``: a reader sees the old file or the whole new one. On any
    failure the temporary file is removed and :class:`OutputError` says why in one line."""
    path = Path(path)
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, file_mode())
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise OutputError(describe_write_error(exc, path)) from None
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
    return path


class NewFolders:
    """Remember which of the output folders do not exist yet, and remove those left empty when
    the command fails (so a failed run leaves no empty folder behind)::

        with NewFolders([out_json.parent, out_video.parent]):
            ...  # work that creates them while writing
    """

    def __init__(self, folders: Iterable[str | os.PathLike[str]]):
        self._missing: list[Path] = []
        for folder in folders:
            p = Path(os.path.abspath(Path(folder).expanduser()))
            while not p.exists() and p != p.parent:
                if p not in self._missing:
                    self._missing.append(p)
                p = p.parent

    def __enter__(self) -> NewFolders:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc_type is None:
            return
        self.remove_empty()

    def remove_empty(self) -> None:
        # deepest first, so a parent made only for an empty child goes too
        for p in sorted(self._missing, key=lambda q: len(q.parts), reverse=True):
            try:
                p.rmdir()  # only when empty
            except OSError:
                pass
