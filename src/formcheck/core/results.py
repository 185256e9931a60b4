"""Data produced by analysis: per-frame feedback and the per-clip result.

Analysis produces these; overlays, voice, reports and the CLI only read them. Times are in
seconds from the start of the stream unless a name says otherwise.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

SCHEMA_VERSION = 1


@dataclass
class FaultSpan:
    """A period in which one check was violated."""

    check: str
    start_s: float
    end_s: float
    cue: str
    side: str | None = None
    #: time of the worst frame in the span (for thumbnails) and the value measured there
    worst_s: float | None = None
    worst_value: float | None = None
    #: False: seen in the stream but gone before a live session would have said it (a
    #: check whose cue waits for the fault to persist, e.g. a 1 s slouch while sitting)
    cued: bool = True

    @property
    def duration_s(self) -> float:
        return max(0.0, self.end_s - self.start_s)


@dataclass
class Rep:
    """One completed movement cycle (or one hold, for hold exercises)."""

    index: int
    start_s: float
    end_s: float
    peak_s: float | None = None
    side: str | None = None
    hold_s: float = 0.0
    good: bool = True
    faults: list[str] = field(default_factory=list)
    kind: str | None = None  # e.g. lifting: "squat" | "stoop"


@dataclass
class Hold:
    """A continuous period in the target position; ``good_s`` counts only good form."""

    start_s: float
    end_s: float
    good_s: float
    side: str | None = None

    @property
    def duration_s(self) -> float:
        return max(0.0, self.end_s - self.start_s)


class CheckState(StrEnum):
    """A check's verdict on one frame. A ``str`` enum: it compares equal to, and is written to
    JSON as, "ok" / "fault" / "not_measurable" (the ids reports and labels use)."""

    OK = "ok"
    FAULT = "fault"
    NOT_MEASURABLE = "not_measurable"


@dataclass
class FrameFeedback:
    """What the analyzer says about one frame (drawn by the overlay, spoken by the voice)."""

    t_s: float
    pose_found: bool
    #: check id -> its state for the checks evaluated this frame
    checks: dict[str, CheckState] = field(default_factory=dict)
    #: debounced faults active now (what the person is told to fix)
    faults: list[str] = field(default_factory=list)
    cue: str | None = None
    reps: dict[str, int] = field(default_factory=dict)
    hold_s: float | None = None
    hold_target_s: float | None = None
    phase: str = ""
    side: str | None = None
    variant: str | None = None
    #: the signals the checks use this frame (angles in degrees etc.), for plots and overlay
    signals: dict[str, float] = field(default_factory=dict)
    message: str | None = None
    pain_stop: bool = False


@dataclass
class ExerciseResult:
    """Everything an analysis found in one stream, serialisable to JSON."""

    exercise: str
    variant: str | None = None
    duration_s: float = 0.0
    frames: int = 0
    frames_with_pose: int = 0
    reps: list[Rep] = field(default_factory=list)
    rep_counts: dict[str, int] = field(default_factory=dict)
    holds: list[Hold] = field(default_factory=list)
    faults: list[FaultSpan] = field(default_factory=list)
    #: check id -> reason it could not be measured in this stream
    not_measurable: dict[str, str] = field(default_factory=dict)
    pain_stops: list[float] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def coverage(self) -> float:
        return self.frames_with_pose / self.frames if self.frames else 0.0

    @property
    def rep_count(self) -> int:
        return len(self.reps)

    @property
    def fault_ids(self) -> list[str]:
        """Distinct check ids reported, in order of first occurrence."""
        seen: dict[str, None] = {}
        for f in sorted(self.faults, key=lambda f: f.start_s):
            seen.setdefault(f.check, None)
        return list(seen)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["schema_version"] = SCHEMA_VERSION
        d["coverage"] = round(self.coverage, 4)
        d["rep_count"] = self.rep_count
        d["fault_ids"] = self.fault_ids
        d["hold_good_s"] = round(sum(h.good_s for h in self.holds), 3)
        rounded: dict[str, Any] = _round_floats(d)
        return rounded


def _round_floats(obj: Any, ndigits: int = 3) -> Any:
    """Round floats so JSON output is compact and byte-stable across runs."""
    if isinstance(obj, float):
        return round(obj, ndigits)
    if isinstance(obj, dict):
        return {k: _round_floats(v, ndigits) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_round_floats(v, ndigits) for v in obj]
    return obj
