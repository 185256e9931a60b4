"""Keep MediaPipe's usage logging on this machine.

The MediaPipe wheel's native library (``libmediapipe.so``, Tasks API) reports each landmarker
session to Google: when a landmarker closes (and in periodic invocation reports) it sends a
``MediaPipeLogExtension`` record (task name, running mode, latencies, platform) to
``https://play.googleapis.com/log`` through a libcurl built into the library
(``tasks/cc/core/logging/google_internal/http_logging_client.cc`` in its strings). MediaPipe
offers no switch for it: ``BaseOptions`` has no such field, and neither the host environment,
the CA bundle nor any documented environment variable turns it off (tried; the DNS lookup of
``play.googleapis.com`` stays).

What it does honour is libcurl's proxy variables. While a landmarker is open, formcheck points
them at a SOCKS proxy on a Unix socket that cannot exist (under ``/proc``), so the upload fails
at once on the local machine: no DNS lookup, no IP connection (checked with
``strace -f -e trace=network``; see ``tests/test_privacy.py``). The variables are restored when
the last landmarker closes, so a model download (Python's urllib) is never routed there.
"""

from __future__ import annotations

import os
import threading

#: a SOCKS proxy at a Unix socket path that nothing can create (/proc): libcurl's connect
#: fails with ENOENT, before any name lookup
NO_UPLOAD_PROXY = "socks5h://localhost/proc/self/formcheck-no-upload.sock"
#: the variables libcurl reads for an https URL (lower case first), set while blocked
PROXY_VARS = ("https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY")
#: the variables that could exempt the host from the proxy, unset while blocked
NO_PROXY_VARS = ("no_proxy", "NO_PROXY")

_lock = threading.Lock()
_depth = 0
_saved: dict[str, str | None] = {}


def block_native_uploads() -> None:
    """Start blocking (nestable: each call needs one :func:`unblock_native_uploads`)."""
    global _depth
    with _lock:
        if _depth == 0:
            _saved.clear()
            for name in PROXY_VARS + NO_PROXY_VARS:
                _saved[name] = os.environ.get(name)
            for name in PROXY_VARS:
                os.environ[name] = NO_UPLOAD_PROXY
            for name in NO_PROXY_VARS:
                os.environ.pop(name, None)
        _depth += 1


def unblock_native_uploads() -> None:
    """End one :func:`block_native_uploads`; the last one restores the variables."""
    global _depth
    with _lock:
        if _depth == 0:
            return
        _depth -= 1
        if _depth == 0:
            for name, value in _saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
            _saved.clear()
