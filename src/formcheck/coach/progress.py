"""The progress page after each live session or routine: rewritten beside the history file
(``progress.html``), its link printed with the session's summary."""

from __future__ import annotations

import os
from pathlib import Path

from formcheck.coach.history import history_path, load_history
from formcheck.core.errors import FormcheckError
from formcheck.render.progress_page import file_link, write_page

PAGE_NAME = "progress.html"


def default_page_path(history_file: str | os.PathLike[str] | None = None) -> Path:
    """Where live sessions and routines keep the page: beside the history file."""
    return history_path(history_file).with_name(PAGE_NAME)


def refresh_after_session(history_file: str | os.PathLike[str] | None = None) -> str:
    """Rewrite the page beside the history file after a session; returns the line to print
    (the page's file:// link, or why it could not be written - never an exception: the
    session is already saved)."""
    try:
        h = load_history(history_file)
        page = write_page(default_page_path(history_file), h.records,
                          str(history_path(history_file)), h.bad_lines)
    except (OSError, ValueError, FormcheckError) as exc:  # a full disk: OutputError
        return f"progress page not written: {exc}"
    return f"your progress: {file_link(page)}"
