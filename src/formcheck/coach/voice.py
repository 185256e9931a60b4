"""Spoken coaching: cues and rep counts said aloud by an offline text-to-speech engine.

:class:`Voice` never blocks the caller: :meth:`Voice.say` only hands the text to a background
thread, which speaks it with a pluggable backend (``espeak-ng`` through a subprocess by default;
tests plug in :class:`RecordingBackend`). Two limits keep the coach from nagging:

* at most one utterance every ``min_interval_s`` (a pending utterance waits, and a newer one
  of equal or higher priority replaces it; one that waited longer than ``max_age_s`` is dropped
  because it no longer describes what the person is doing);
* the same text is not repeated within ``repeat_cooldown_s``.

Urgent messages (the pain-stop advice) skip both limits.

:class:`VoiceCoach` decides *what* to say from the per-frame :class:`FrameFeedback` stream:
a new fault's cue, each new rep count, and the moment a hold reaches its target.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from formcheck.core.checks import PAIN_STOP_ADVICE
from formcheck.core.errors import FormcheckError
from formcheck.core.results import FrameFeedback

# priorities: higher replaces lower in the pending slot
PRIORITY_INFO = 0  # rep counts, "hold done"
PRIORITY_CUE = 1  # a form cue
PRIORITY_URGENT = 2  # pain stop: bypasses the limits


class SpeechBackend(Protocol):
    def speak(self, text: str) -> None:
        """Say ``text``; may block until done (it runs in the voice thread)."""


class EspeakBackend:
    """espeak-ng in a subprocess (offline, small, in every Linux distribution).

    ``words_per_minute`` 150: slower than espeak's default 175, easier to follow while
    exercising. Raises :class:`VoiceUnavailable` at construction if espeak-ng is missing.
    """

    def __init__(self, executable: str = "espeak-ng", words_per_minute: int = 150,
                 voice: str = "en", timeout_s: float = 15.0):
        path = shutil.which(executable)
        if path is None:
            raise VoiceUnavailable(
                f"{executable} not found: install it (e.g. `apt-get install espeak-ng`) "
                "or run with --no-voice"
            )
        self.cmd = [path, "-s", str(int(words_per_minute)), "-v", voice]
        self.timeout_s = timeout_s

    def speak(self, text: str) -> None:
        try:
            subprocess.run(self.cmd + ["--", text], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=self.timeout_s, check=False)
        except (OSError, subprocess.TimeoutExpired):
            pass  # a voice that fails must never stop the coaching on screen


class RecordingBackend:
    """Remembers what it was asked to say (tests); ``delay_s`` simulates speaking time."""

    def __init__(self, delay_s: float = 0.0):
        self.delay_s = delay_s
        self.said: list[str] = []
        self._lock = threading.Lock()

    def speak(self, text: str) -> None:
        with self._lock:
            self.said.append(text)
        if self.delay_s:
            time.sleep(self.delay_s)


class VoiceUnavailable(FormcheckError, RuntimeError):
    """No speech engine could be started."""


@dataclass(frozen=True)
class VoiceParams:
    #: at most one utterance per this many seconds: a cue takes ~1.5-2.5 s to say at 150 wpm,
    #: so 3 s leaves a breath between utterances
    min_interval_s: float = 3.0
    #: the same sentence is not repeated within this many seconds (a fault that persists
    #: is re-cued twice a quarter-minute at most)
    repeat_cooldown_s: float = 12.0
    #: a pending utterance older than this is dropped: it described a moment that has passed
    max_age_s: float = 2.5

    def __post_init__(self) -> None:
        if self.min_interval_s < 0 or self.repeat_cooldown_s < 0 or self.max_age_s <= 0:
            raise ValueError("VoiceParams: intervals must be >= 0 and max_age_s > 0")


@dataclass
class _Pending:
    text: str
    priority: int
    t: float


@dataclass
class Utterance:
    text: str
    t: float
    priority: int


class Voice:
    """Non-blocking speech with rate limit and repeat cool-down; see the module docstring.

    Use as a context manager (or call :meth:`close`). ``clock`` is injectable for tests.
    """

    def __init__(self, backend: SpeechBackend, params: VoiceParams = VoiceParams(),
                 clock: Callable[[], float] = time.monotonic):
        self.backend = backend
        self.params = params
        self.clock = clock
        self.spoken: list[Utterance] = []
        self._pending: _Pending | None = None
        self._last_start: float | None = None
        self._last_said: dict[str, float] = {}
        self._cond = threading.Condition()
        self._closed = False
        self._busy = False
        self._thread = threading.Thread(target=self._run, name="formcheck-voice", daemon=True)
        self._thread.start()

    def __enter__(self) -> Voice:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def say(self, text: str, priority: int = PRIORITY_CUE) -> bool:
        """Offer ``text``; returns at once. False when it was refused (repeat cool-down, or
        a higher-priority utterance is already waiting)."""
        now = self.clock()
        with self._cond:
            if self._closed:
                return False
            if priority < PRIORITY_URGENT:
                last = self._last_said.get(text)
                if last is not None and now - last < self.params.repeat_cooldown_s:
                    return False
            if self._pending is not None and self._pending.priority > priority:
                return False
            self._pending = _Pending(text, priority, now)
            self._cond.notify_all()
            return True

    def flush(self, timeout_s: float = 5.0) -> None:
        """Wait until nothing is pending or being spoken (tests, end of session)."""
        end = time.monotonic() + timeout_s
        with self._cond:
            while (self._pending is not None or self._busy) and time.monotonic() < end:
                self._cond.wait(timeout=0.05)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join(timeout=2.0)

    # ---- worker -------------------------------------------------------------------------
    def _next(self) -> _Pending | None:
        """The utterance to speak now, or None (caller waits a little and asks again)."""
        p = self._pending
        if p is None:
            return None
        now = self.clock()
        if p.priority < PRIORITY_URGENT:
            if now - p.t > self.params.max_age_s:
                self._pending = None
                self._cond.notify_all()
                return None
            if self._last_start is not None and now - self._last_start < self.params.min_interval_s:
                return None
            last = self._last_said.get(p.text)
            if last is not None and now - last < self.params.repeat_cooldown_s:
                self._pending = None
                return None
        self._pending = None
        self._last_start = now
        self._last_said[p.text] = now
        self.spoken.append(Utterance(p.text, now, p.priority))
        return p

    def _run(self) -> None:
        while True:
            with self._cond:
                item = None
                while item is None:
                    if self._closed:
                        return
                    item = self._next()
                    if item is None:
                        self._cond.wait(timeout=0.05)
                self._busy = True
            try:
                self.backend.speak(item.text)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()


class VoiceCoach:
    """Turns the feedback stream into things worth saying; keeps no analysis state beyond
    what it has already said (last rep counts, whether this hold's target was announced)."""

    def __init__(self, voice: Voice):
        self.voice = voice
        self._reps: dict[str, int] = {}
        self._cue: str | None = None
        self._hold_done = False
        self._pain_said = False

    def update(self, fb: FrameFeedback) -> None:
        if fb.pain_stop:
            self.pain_stop()
            return
        # a new rep: say the count ("Left 3" where sides are counted, else "3")
        sides = {k: n for k, n in fb.reps.items() if k != "total"}
        if sides:
            for key, n in sides.items():
                if n > self._reps.get(key, 0):
                    self.voice.say(f"{key.replace('_', ' ').capitalize()} {n}", PRIORITY_INFO)
        elif fb.reps.get("total", 0) > self._reps.get("total", 0):
            self.voice.say(str(fb.reps["total"]), PRIORITY_INFO)
        self._reps = dict(fb.reps)
        # a fault cue, said when it first becomes the active cue (repeats: Voice's cool-down)
        if fb.cue and fb.faults and fb.cue != self._cue:
            self.voice.say(fb.cue, PRIORITY_CUE)
        self._cue = fb.cue if fb.faults else None
        # a hold reaching its target
        if fb.hold_s is not None and fb.hold_target_s:
            if fb.hold_s >= fb.hold_target_s and not self._hold_done:
                self.voice.say("Good. Now relax.", PRIORITY_INFO)
                self._hold_done = True
            elif fb.hold_s < 0.5 * fb.hold_target_s:
                self._hold_done = False

    def pain_stop(self) -> None:
        if not self._pain_said:
            self.voice.say(PAIN_STOP_ADVICE, PRIORITY_URGENT)
            self._pain_said = True

    def say(self, text: str, priority: int = PRIORITY_INFO) -> None:
        self.voice.say(text, priority)


def make_voice(enabled: bool, params: VoiceParams = VoiceParams()) -> Voice | None:
    """A Voice speaking through espeak-ng, or None when disabled. Raises VoiceUnavailable
    (with an install hint) when enabled and espeak-ng is missing."""
    if not enabled:
        return None
    return Voice(EspeakBackend(), params)


def synthesize_wav(text: str, path: str | Path, executable: str = "espeak-ng",
                   words_per_minute: int = 150) -> Path:
    """Write ``text`` spoken by espeak-ng to a wav file (``espeak-ng -w``)."""
    exe = shutil.which(executable)
    if exe is None:
        raise VoiceUnavailable(f"{executable} not found")
    path = Path(path)
    subprocess.run([exe, "-s", str(words_per_minute), "-w", str(path), "--", text],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=30)
    return path


def wav_rms(path: str | Path) -> tuple[float, int, int]:
    """(RMS of the 16-bit samples normalised to [-1, 1], sample count, sample rate)."""
    import wave

    with wave.open(str(path), "rb") as w:
        if w.getsampwidth() != 2:
            raise ValueError(f"{path}: expected 16-bit samples, got {8 * w.getsampwidth()}-bit")
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64)
        rate = w.getframerate()
    rms = float(np.sqrt(np.mean((data / 32768.0) ** 2))) if data.size else 0.0
    return rms, int(data.size), rate


__all__ = [
    "EspeakBackend", "RecordingBackend", "Voice", "VoiceCoach", "VoiceParams", "VoiceUnavailable",
    "make_voice", "synthesize_wav", "wav_rms", "PRIORITY_CUE", "PRIORITY_INFO", "PRIORITY_URGENT",
]
