"""Reading ``labels.toml`` against its schema (../shared/sample_videos/README.md).

A labels file is someone's careful work; a mistake in it must be named (which clip, which key,
what is wrong) in one line, never turned into a traceback, a silently ignored key or a string
split into letters::

    [[clip]]
    file = "glute_bridge_01.mp4"       # required: the clip, beside the labels (or --videos)
    exercise = "glute_bridge"          # required: an exercise id
    view = "side"                      # side | front | back | oblique
    person_side_to_camera = "left"     # left | right
    reps = 4                           # whole number >= 0 (absent for pure holds)
    reps_tolerance = 0                 # whole number >= 0
    holds = [[2.1, 6.0]]               # [start_s, end_s] pairs, start <= end
    faults = ["hold_too_short"]        # check ids
    no_faults = ["hips_too_low"]       # check ids
    unmeasurable = ["too_fast"]        # check ids
    notes = "..."
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from formcheck.core.checks import EXERCISE_IDS

VIEWS = ("side", "front", "back", "oblique")
SIDES = ("left", "right")
ID_LISTS = ("faults", "no_faults", "unmeasurable")
KEYS = ("file", "exercise", "view", "person_side_to_camera", "reps", "reps_tolerance", "holds",
        *ID_LISTS, "notes")


class LabelsError(Exception):
    """The labels file is not valid (the message names the entry and key)."""


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _check_entry(i: int, entry: Any, where: str) -> dict[str, Any]:
    if not isinstance(entry, dict):
        raise LabelsError(f"{where}: clip entry {i} is not a table ([[clip]] with keys)")
    name = entry.get("file")
    at = f"{where}: clip {i}" + (f" ({name})" if isinstance(name, str) else "")

    def fail(msg: str) -> LabelsError:
        return LabelsError(f"{at}: {msg}")

    unknown = [k for k in entry if k not in KEYS]
    if unknown:
        raise fail(f"unknown key {unknown[0]!r} (valid: {', '.join(KEYS)})")
    for key in ("file", "exercise"):
        if key not in entry:
            raise fail(f"'{key}' is missing")
        if not isinstance(entry[key], str) or not entry[key]:
            raise fail(f"'{key}' must be a non-empty string, not {entry[key]!r}")
    if entry["exercise"] not in EXERCISE_IDS:
        raise fail(f"unknown exercise {entry['exercise']!r} (valid: {', '.join(EXERCISE_IDS)})")
    _check_values(entry, fail)
    return entry


def _check_values(entry: dict[str, Any], fail: Callable[[str], LabelsError]) -> None:
    """The optional keys' types and ranges; ``fail(msg)`` makes the error naming the entry."""
    if "view" in entry and entry["view"] not in VIEWS:
        raise fail(f"view must be one of {', '.join(VIEWS)}, not {entry['view']!r}")
    if "person_side_to_camera" in entry and entry["person_side_to_camera"] not in SIDES:
        raise fail(f"person_side_to_camera must be left or right, not "
                   f"{entry['person_side_to_camera']!r}")
    for key in ("reps", "reps_tolerance"):
        if key in entry and not (_is_int(entry[key]) and entry[key] >= 0):
            raise fail(f"{key} must be a whole number >= 0, not {entry[key]!r}")
    holds = entry.get("holds", [])
    if not isinstance(holds, list) or not all(
            isinstance(h, list) and len(h) == 2 and all(_is_num(t) for t in h) and h[0] <= h[1]
            for h in holds):
        raise fail(f"holds must be a list of [start_s, end_s] pairs, not {holds!r}")
    for key in ID_LISTS:
        v = entry.get(key, [])
        if not isinstance(v, list) or not all(isinstance(c, str) and c for c in v):
            raise fail(f"{key} must be a list of check ids (strings), not {v!r}")
    if not isinstance(entry.get("notes", ""), str):
        raise fail(f"notes must be a string, not {entry['notes']!r}")


def read_labels(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The validated ``[[clip]]`` entries of a labels file; LabelsError names what is wrong."""
    where = Path(path).name
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except tomllib.TOMLDecodeError as exc:
        raise LabelsError(f"{where} is not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise LabelsError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    clips = data.get("clip", [])
    if not isinstance(clips, list):
        raise LabelsError(f"{where}: 'clip' must be a list of [[clip]] tables, not {clips!r}")
    entries = [_check_entry(i, e, where) for i, e in enumerate(clips, 1)]
    seen: dict[str, int] = {}
    for i, e in enumerate(entries, 1):
        if e["file"] in seen:
            raise LabelsError(f"{where}: clip {i} ({e['file']}) is labelled twice (also clip "
                              f"{seen[e['file']]})")
        seen[e["file"]] = i
    return entries
