"""What formcheck reads: plain local files (and, for live mode, camera indices). Nothing else.

FFmpeg treats a name like ``http://host/x.mp4``, ``pipe:0`` or ``tcp:...`` as a URL or a
protocol, so a path handed to it as it is could fetch from the network or read stdin. Every
input is checked here first, and handed to FFmpeg through :func:`ffmpeg_local_url`, which
names the ``file:`` protocol with an absolute path, so FFmpeg cannot read it any other way.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from formcheck.core.errors import FormcheckError

#: "scheme:" at the start of a name, as FFmpeg's protocol lookup reads it
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


class InputError(FormcheckError):
    """An input that is not a readable local file (the message is user-facing)."""


def looks_like_url(spec: str) -> bool:
    """True for names that start like a URL or an FFmpeg protocol (``http:``, ``pipe:``)."""
    return bool(_SCHEME.match(spec))


def check_local_file(spec: str | os.PathLike[str], what: str = "input") -> Path:
    """``spec`` as a Path when it names an existing regular local file, else InputError.

    A name that looks like a URL and is not a local file is refused as such (formcheck reads
    only local files); a folder, a device, a pipe or a socket is refused too.
    """
    s = os.fspath(spec)
    p = Path(s).expanduser()
    try:
        st = os.stat(p)
    except FileNotFoundError:
        if looks_like_url(s):
            raise InputError(f"{s} is not a local file: formcheck reads only files on this "
                             "computer (no URLs or streams)") from None
        raise InputError(f"no such file: {s}") from None
    except OSError as exc:
        raise InputError(f"cannot read {s}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError(f"{s} is a folder, not a video file")
    if not stat.S_ISREG(st.st_mode):
        raise InputError(f"{s} is not a regular file (a device, pipe or socket); give a video "
                         "file")
    return p


def ffmpeg_local_url(path: str | os.PathLike[str]) -> str:
    """The name to give FFmpeg (PyAV's ``av.open``) for a local file: ``file:`` and the
    absolute path, so no part of the name can be read as another protocol."""
    return "file:" + os.path.abspath(os.fspath(path))
