"""Downloading the official Pose Landmarker bundle into the user cache.

Only called when no model is found locally (see :func:`resolve_model`) or
when the user asks (``formcheck models --fetch``, ``formcheck fetch --models``). It says so on
stderr before it starts, shows a progress bar on a terminal, writes to a temporary file that
is renamed into place only once complete and checked, and records the file's SHA-256 beside it
(``<name>.sha256``).

Integrity: Google publishes no checksum for the ``latest`` bundles, so when no expected hash
is given the file is checked structurally: a ``.task`` bundle is a zip holding
``pose_detector.tflite`` and ``pose_landmarks_detector.tflite``. With ``sha256=...`` a
mismatch is an error and nothing is kept.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from formcheck.io.files import write_atomic
from formcheck.io.models import (
    OFFICIAL_URL,
    ModelError,
    cache_dir,
    find_model,
    model_filename,
    search_dirs,
)

#: members every pose_landmarker .task bundle holds
BUNDLE_MEMBERS = ("pose_detector.tflite", "pose_landmarks_detector.tflite")
#: network timeout per blocking operation (connect / read), seconds
TIMEOUT_S = 30.0
_CHUNK = 1 << 16


def official_url(variant: str) -> str:
    model_filename(variant)  # validates the variant
    return OFFICIAL_URL.format(v=variant)


def check_bundle(path: str | os.PathLike[str]) -> None:
    """Raise :class:`ModelError` unless ``path`` is a pose_landmarker ``.task`` bundle."""
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            bad = z.testzip()
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ModelError(f"{path.name} is not a valid .task bundle ({exc})") from None
    missing = [m for m in BUNDLE_MEMBERS if m not in names]
    if missing:
        raise ModelError(f"{path.name} is not a pose landmarker bundle (missing {', '.join(missing)})")
    if bad is not None:
        raise ModelError(f"{path.name} is corrupt ({bad} fails its CRC check)")


def _copy_with_progress(src: BinaryIO, dst: BinaryIO, total: int | None, desc: str,
                        progress: bool) -> tuple[int, str]:
    """Copy src to dst, hashing on the way; returns (bytes, sha256 hex)."""
    h = hashlib.sha256()
    bar = None
    if progress and sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(total=total, desc=desc, unit="B", unit_scale=True, unit_divisor=1024,
                   leave=False, file=sys.stderr)
    n = 0
    try:
        while block := src.read(_CHUNK):
            dst.write(block)
            h.update(block)
            n += len(block)
            if bar is not None:
                bar.update(len(block))
    finally:
        if bar is not None:
            bar.close()
    return n, h.hexdigest()


def download_model(
    variant: str = "full",
    url: str | None = None,
    dest: str | os.PathLike[str] | None = None,
    sha256: str | None = None,
    progress: bool = True,
    log: Callable[[str], None] | None = None,
) -> Path:
    """Download a pose landmarker bundle and return its path.

    Args:
        variant: lite, full or heavy (names the file).
        url: where from (default: Google's official address for ``variant``).
        dest: the file to write (default: ``<user cache>/pose_landmarker_<variant>.task``).
        sha256: expected hex digest; a mismatch raises :class:`ModelError` and keeps nothing.
        progress: show a tqdm bar when stderr is a terminal.
        log: where the one-line "downloading ..." notice goes (default: stderr).

    Raises:
        ModelError: network unreachable, HTTP error, truncated download, not a bundle,
            or checksum mismatch. The message is one line, meant for the user.
    """
    name = model_filename(variant)
    url = url or official_url(variant)
    dest = Path(dest) if dest is not None else cache_dir() / name
    say = log or (lambda msg: print(msg, file=sys.stderr))
    say(f"formcheck: downloading {name} from {url} to {dest.parent}")
    digest = download_file(url, dest, sha256=sha256, progress=progress, check=check_bundle,
                           error=ModelError,
                           hint=f"put {name} in {dest.parent} or pass --model-path")
    _write_sidecar(dest, digest)
    return dest


def download_file(
    url: str,
    dest: str | os.PathLike[str],
    *,
    sha256: str | None = None,
    progress: bool = True,
    check: Callable[[Path], None] | None = None,
    error: type[Exception] = ModelError,
    hint: str = "",
) -> str:
    """Fetch ``url`` into ``dest`` atomically; returns the SHA-256 of what was written.

    The body goes to a temporary file in ``dest``'s folder; it is renamed to ``dest`` only
    when complete (Content-Length matched), the hash matches ``sha256`` (if given) and
    ``check(tmp_path)`` (if given) did not raise. On any failure nothing is left behind and
    ``error`` is raised with a one-line message.
    """
    import http.client

    dest = Path(dest)
    name = dest.name
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=dest.parent)
    except OSError as exc:
        raise error(f"cannot write to {dest.parent}: {exc.strerror or exc}") from None
    tmp = Path(tmp_name)
    suffix = f"; {hint}" if hint else ""
    try:
        try:
            req = urllib.request.Request(url, headers={"User-Agent": "formcheck"})
            with urllib.request.urlopen(req, timeout=TIMEOUT_S) as resp, \
                    os.fdopen(fd, "wb") as out:
                fd = -1  # owned by `out` now
                length = resp.headers.get("Content-Length")
                total = int(length) if length and length.isdigit() else None
                n, digest = _copy_with_progress(resp, out, total, name, progress)
        except (OSError, http.client.HTTPException) as exc:
            raise error(_fetch_failure(exc, name, url, suffix)) from None
        problem = _body_problem(n, total, digest, sha256, name, url)
        if problem:
            raise error(problem)
        if check is not None:
            check(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)
    finally:
        if fd != -1:
            os.close(fd)
        tmp.unlink(missing_ok=True)
    return digest


def _fetch_failure(exc: Exception, name: str, url: str, suffix: str) -> str:
    """The one-line message for a download that failed with ``exc``."""
    if isinstance(exc, urllib.error.HTTPError):
        return f"cannot download {name}: HTTP {exc.code} {exc.reason} ({url})"
    if isinstance(exc, urllib.error.URLError):
        reason = getattr(exc.reason, "strerror", None) or exc.reason
        return f"cannot download {name}: network unreachable ({reason}){suffix}"
    # timeouts, resets and IncompleteRead while reading the body
    why = str(exc) or type(exc).__name__
    return f"cannot download {name}: connection broke ({why}){suffix}"


def _body_problem(n: int, total: int | None, digest: str, sha256: str | None, name: str,
                  url: str) -> str | None:
    """What is wrong with a downloaded body of ``n`` bytes (None: nothing): truncated, or
    not the expected SHA-256."""
    if total is not None and n != total:
        return f"cannot download {name}: got {n} of {total} bytes (truncated)"
    if sha256 is not None and digest.lower() != sha256.lower():
        return f"{name} from {url} has SHA-256 {digest}, expected {sha256.lower()}; not kept"
    return None


def _write_sidecar(path: Path, digest: str) -> None:
    """``<file>.sha256`` in sha256sum format, written atomically."""
    write_atomic(path.with_name(path.name + ".sha256"), f"{digest}  {path.name}\n")


def resolve_model(
    variant: str = "full",
    model_path: str | os.PathLike[str] | None = None,
    download: bool = True,
) -> Path:
    """The model file to use; downloads the official one into the cache if none is found."""
    if model_path is not None:
        p = find_model(variant, model_path)
        if p is None:
            raise ModelError(f"model file not found: {model_path}")
        try:  # before MediaPipe sees it: it answers a wrong bundle with a traceback
            check_bundle(p)
        except ModelError as exc:
            raise ModelError(f"cannot load pose model {model_path}: {exc}") from None
        return p
    p = find_model(variant)
    if p is not None:
        return p
    if not download:
        where = ", ".join(str(d) for _, d in search_dirs())
        raise ModelError(f"{model_filename(variant)} not found in: {where}")
    return download_model(variant)
