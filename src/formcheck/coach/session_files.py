"""The files a live session or routine writes: checked before the session, never lost after it.

Before the camera opens, :func:`check_session_outputs` checks ``--record``, ``--json`` and the
history file with the one output guard (:mod:`formcheck.outputs`): none may be the video file
played as the camera, a folder, or in a folder that cannot be written. A session is minutes of
someone's exercise, so if saving still fails at the end (the disk filled up, the folder went
away), :func:`save_json` and :func:`save_history` put the result in a fallback file and say
where, rather than lose it.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from formcheck.io.inputs import check_local_file
from formcheck.io.outputs import OutputError, check_distinct, check_output_file, write_atomic


def camera_file(camera: str) -> Path | None:
    """The video file played as the camera, or None for a camera index."""
    if str(camera).isdigit():
        return None
    return check_local_file(camera)


def check_session_outputs(camera: str, *, record: str | None = None,
                          json_path: str | None = None, history: str | None = None,
                          save_history: bool = True) -> None:
    """Raise OutputError/InputError (one line) before the session when an output is wrong."""
    from formcheck.coach.history import history_path

    inputs = [p for p in [camera_file(camera)] if p is not None]
    hist = history_path(history) if save_history else None
    check_distinct({"--record": record, "--json": json_path, "--history": hist})
    if record:
        check_output_file(record, flag="--record", inputs=inputs, suffixes=(".mp4",))
    if json_path:
        check_output_file(json_path, flag="--json", inputs=inputs)
    if hist is not None:
        check_output_file(hist, flag="--history", inputs=inputs, append=True)


def fallback_dir() -> Path:
    """Where a result goes when its own file cannot be written: the formcheck data folder,
    else the system's temporary folder."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    for folder in (Path(base).expanduser() / "formcheck" / "unsaved",
                   Path(tempfile.gettempdir())):
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(folder, os.W_OK | os.X_OK):
            return folder
    return Path.cwd()


def _save_elsewhere(text: str, kind: str, failed: str, err: TextIO | None = None) -> Path | None:
    err = err or sys.stderr
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = fallback_dir() / f"formcheck-{kind}-{stamp}-{os.getpid()}.json"
    try:
        write_atomic(target, text)
    except OutputError as exc:
        print(f"formcheck: error: {failed}; saving elsewhere failed too ({exc})", file=err)
        return None
    print(f"formcheck: error: {failed}; the {kind} was saved to {target} instead", file=err)
    return target


def save_json(path: str | os.PathLike[str], doc: dict[str, Any], err: TextIO | None = None) -> bool:
    """Write ``doc`` to ``path`` atomically; on failure save it elsewhere and say where."""
    text = json.dumps(doc, indent=2) + "\n"
    try:
        write_atomic(path, text)
        return True
    except OutputError as exc:
        _save_elsewhere(text, "result", str(exc), err)
        return False


def save_history(record: dict[str, Any], history: str | None, out: TextIO | None = None,
                 err: TextIO | None = None) -> bool:
    """Append ``record`` to the history; on failure save it elsewhere and say where."""
    from formcheck.coach.history import append_session, history_path

    try:
        path = append_session(record, history)
    except OSError as exc:
        p = history_path(history)
        why = f"cannot add this session to your history {p}: {exc.strerror or exc}"
        _save_elsewhere(json.dumps(record) + "\n", "session", why, err)
        return False
    print(f"  saved to your history: {path}", file=out or sys.stdout)
    return True
