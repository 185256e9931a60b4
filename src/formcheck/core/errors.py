"""The error every user-facing failure derives from.

A :class:`FormcheckError`'s message is written for the person running formcheck: it says what
is wrong and, where there is one, what to do. The command line (:func:`formcheck.cli.main`) is
the one place that turns it into a line (``formcheck: error: <message>``, exit status 2).
Each layer raises its own subclass (``VideoError``, ``ModelError``, ``AssetError``,
``BatchError``, ``LiveError``, ``VoiceUnavailable``, ``UserError``) where it is defined.
Anything else that escapes is a bug and keeps its traceback.
"""

from __future__ import annotations


class FormcheckError(Exception):
    """A problem the user can act on; the message is user-facing, one line."""
