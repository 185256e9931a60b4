"""Person-relative movement detection: a rep is a swing of a signal away from the person's own
rest level, with switch thresholds scaled by the person's own range of motion in this session.

:class:`RangeSwing` needs no absolute position read off one clip:

* **rest** is the level the person lies still at. With a known direction it follows the
  signal toward the rest side at once and away from it only slowly (never during a swing),
  so a held position never becomes the new rest and a rest level that wanders between reps
  is followed. With an unknown direction (``direction=0``) rest starts as the level the
  stream opens at (slowly averaged), and the first clear swing away from it sets the
  direction for the session.
* **range** is the median amplitude (peak - rest) of the last few completed swings.
* a swing **starts** when the signal is past rest by ``max(min_swing, on_frac * range)`` and
  **ends** when it has come back from its peak by ``max(min_release, release_frac *
  (peak - rest))``; either switch must hold ``min_s`` (debounce). ``min_swing`` and
  ``min_release`` are noise floors in the signal's unit; everything above them scales with
  the person.
* **opening mid-swing** (known direction only): while no swing has been seen, a drop from
  the highest level seen since the stream opened by more than the start threshold means the
  stream opened during a swing (a camera started after the person). The detector reports it
  once as :attr:`opening_swing` (start, end): the caller counts it, but cannot time its
  start.
"""

from __future__ import annotations

import math
import statistics
from collections import deque

from formcheck.exercises.families.lying import BaselineFollower


class RangeSwing:
    def __init__(
        self,
        *,
        min_swing: float,
        min_release: float,
        on_frac: float = 0.4,
        release_frac: float = 0.5,
        min_s: float = 0.0,
        rest_up_tau_s: float = 4.0,
        rest_down_tau_s: float = 0.0,
        direction: int = 1,
        calib_s: float = 1.0,
        learn_min_s: float = 0.0,
        calib_tau_s: float = 8.0,
        range_memory: int = 5,
    ):
        if min_swing <= 0 or min_release <= 0 or not 0 <= on_frac < 1 or not 0 < release_frac < 1:
            raise ValueError("RangeSwing: min_swing, min_release > 0; 0 <= on_frac < 1; "
                             "0 < release_frac < 1")
        if direction not in (-1, 0, 1) or min_s < 0 or rest_up_tau_s <= 0 or calib_tau_s <= 0:
            raise ValueError("RangeSwing: direction in (-1, 0, 1), min_s >= 0, taus > 0")
        self.min_swing, self.min_release = min_swing, min_release
        self.on_frac, self.release_frac, self.min_s = on_frac, release_frac, min_s
        self.direction = direction
        self.calib_s, self.calib_tau_s, self.learn_min_s = calib_s, calib_tau_s, learn_min_s
        self._calib_samples: list[float] = []
        self.rest = BaselineFollower(up_tau_s=rest_up_tau_s, down_tau_s=rest_down_tau_s)
        self._calib: float | None = None  # rest level before the direction is known
        self._calib_t: float | None = None
        self.amplitudes: deque[float] = deque(maxlen=range_memory)
        self.state = False
        self.peak = math.nan  # signed (direction * signal) peak of the current swing
        self.swings = 0  # completed swings
        self._pending: float | None = None
        self._t_first: float | None = None
        self._open_max = -math.inf
        self._open_win: deque[tuple[float, float]] = deque()
        #: when the current state's condition began (a switch is debounced, so it is reported
        #: ``min_s`` or more after this): the start of a swing as it happened
        self.since = math.nan
        #: the rest level the last completed swing started from (signal units)
        self.swing_rest = math.nan
        #: (start, end) of a swing the stream opened in, once detected (see module docstring)
        self.opening_swing: tuple[float, float] | None = None

    # -- read-outs ------------------------------------------------------------------------
    @property
    def range(self) -> float:
        """The person's own swing amplitude (median of the last completed swings), 0 if none."""
        return statistics.median(self.amplitudes) if self.amplitudes else 0.0

    @property
    def on_threshold(self) -> float:
        return max(self.min_swing, self.on_frac * self.range)

    @property
    def rest_level(self) -> float:
        """The rest level in the signal's own units (NaN before the first sample)."""
        if self.direction == 0:
            return math.nan if self._calib is None else self._calib
        return math.nan if self.rest.value is None else self.direction * self.rest.value

    def excursion(self, x: float) -> float:
        """How far ``x`` is past rest in the movement's direction (signal units)."""
        rest = self.rest_level
        if not (math.isfinite(x) and math.isfinite(rest)):
            return math.nan
        return abs(x - rest) if self.direction == 0 else self.direction * (x - rest)

    # -- update ---------------------------------------------------------------------------
    def update(self, x: float, t_s: float) -> bool:
        if not math.isfinite(x):
            return self.state
        if self._t_first is None:
            self._t_first = t_s
        if self.direction == 0 and not self._learn(x, t_s):
            return self.state
        s = self.direction * x
        rest = self.rest.update(s, t_s, frozen=self.state or self._pending is not None)
        if not self.state:
            want = s - rest > self.on_threshold
            self._watch_opening(s, rest, t_s)
        else:
            self.peak = max(self.peak, s)
            want = not (self.peak - s > max(self.min_release, self.release_frac * (self.peak - rest)))
        if want == self.state:
            self._pending = None
            return self.state
        if self._pending is None:
            self._pending = t_s
        if t_s - self._pending >= self.min_s:
            self.since, self._pending = self._pending, None
            self.state = want
            if want:
                self.peak = s
            else:
                self.amplitudes.append(self.peak - rest)
                self.swings += 1
                self.swing_rest = self.direction * rest
                self.rest.value = s  # the new rest starts where the release ended
        return self.state

    def _learn(self, x: float, t_s: float) -> bool:
        """Direction unknown: rest is the median level of the first ``calib_s`` seconds, then
        drifts with ``calib_tau_s`` (slower than any tilt); the first swing away from it beyond
        ``min_swing`` (sustained ``learn_min_s``, at least ``min_s``) sets the direction. True
        once it is set."""
        assert self._t_first is not None
        if self._calib is None or t_s - self._t_first <= self.calib_s:
            self._calib_samples.append(x)
            self._calib, self._calib_t = statistics.median(self._calib_samples), t_s
            return False
        assert self._calib_t is not None
        dev = x - self._calib
        if abs(dev) > self.min_swing:
            if self._pending is None:
                self._pending = t_s
            if t_s - self._pending >= max(self.min_s, self.learn_min_s):
                self.since, self._pending = self._pending, None
                self.direction = 1 if dev > 0 else -1
                # self.rest has not been fed yet (update() feeds it only once the direction
                # is known): it starts at the calibrated level
                self.rest.value, self.rest._t = self.direction * self._calib, t_s
                self.state, self.peak = True, self.direction * x
                return True
            return False
        self._pending = None
        dt = max(0.0, min(t_s - self._calib_t, 1.0))
        self._calib += (1.0 - math.exp(-dt / self.calib_tau_s)) * dev
        self._calib_t = t_s
        return False

    def _watch_opening(self, s: float, rest: float, t_s: float) -> None:
        if self.swings or self.opening_swing is not None or self._t_first is None:
            return
        # levels held for ``min_s`` only: a flicker is neither an opening top nor a drop
        win = self._open_win
        win.append((t_s, s))
        while len(win) > 1 and t_s - win[1][0] >= self.min_s:
            win.popleft()
        if t_s - win[0][0] < self.min_s:
            return
        held_high = min(v for _, v in win)
        held_low = max(v for _, v in win)
        self._open_max = max(self._open_max, held_high)
        drop = self._open_max - held_low
        if self._open_max - rest > self.on_threshold and drop > self.on_threshold:
            # the stream opened in the movement and has now come back down from it
            self.opening_swing = (self._t_first, t_s)
            self.amplitudes.append(self._open_max - rest)
