"""Agreement with labelled clips (``labels.toml``, schema in ../shared/sample_videos/README.md).

Per clip: reps expected vs found (within the label's tolerance), every ``faults`` entry must be
reported, no ``no_faults`` entry may be reported. Landmarks come from the track cache, so a
re-run after a threshold change takes seconds.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from formcheck.analysis.labels import read_labels
from formcheck.analysis.pipeline import analyze_track, default_smoothing
from formcheck.analysis.track import load_or_extract
from formcheck.core.checks import validate_exercise
from formcheck.io.estimator import EstimatorOptions

if TYPE_CHECKING:
    import argparse

    from formcheck.analysis.margins import CheckMargin
    from formcheck.analysis.pipeline import Analysis


@dataclass
class ClipLabel:
    file: str
    exercise: str
    view: str = "side"
    person_side_to_camera: str | None = None
    reps: int | None = None
    reps_tolerance: int = 0
    holds: list[list[float]] = field(default_factory=list)
    faults: list[str] = field(default_factory=list)
    no_faults: list[str] = field(default_factory=list)
    unmeasurable: list[str] = field(default_factory=list)
    notes: str = ""


def load_labels(path: str | os.PathLike[str]) -> list[ClipLabel]:
    """The clips of a labels file, validated against its schema (:mod:`formcheck.labels`)."""
    return [ClipLabel(**entry) for entry in read_labels(path)]


@dataclass
class ClipScore:
    label: ClipLabel
    reps_found: int | None = None
    reps_ok: bool | None = None
    faults_found: list[str] = field(default_factory=list)
    faults_missed: list[str] = field(default_factory=list)
    false_alarms: list[str] = field(default_factory=list)
    reported: list[str] = field(default_factory=list)
    recognized: str | None = None
    error: str | None = None
    #: per judged check, how far its deciding signal was from the threshold (margins.py)
    margins: list[CheckMargin] = field(default_factory=list)


@dataclass
class Summary:
    clips: int
    reps_clips: int
    reps_ok: int
    faults_expected: int
    faults_found: int
    false_alarms: int
    errors: int

    def line(self) -> str:
        return (
            f"reps within tolerance {self.reps_ok}/{self.reps_clips}, "
            f"faults found {self.faults_found}/{self.faults_expected}, "
            f"false alarms {self.false_alarms}, errors {self.errors} "
            f"({self.clips} clips)"
        )

    @property
    def reps_rate(self) -> float:
        return self.reps_ok / self.reps_clips if self.reps_clips else 1.0

    @property
    def faults_rate(self) -> float:
        return self.faults_found / self.faults_expected if self.faults_expected else 1.0


def score_clip(label: ClipLabel, videos: Path, options: EstimatorOptions,
               exercise: str | None = None) -> ClipScore:
    """Analyse one labelled clip and compare with its label."""
    score = ClipScore(label)
    try:
        track = load_or_extract(videos / label.file, options)
        analysis = analyze_track(track, exercise or label.exercise, default_smoothing(options))
    except Exception as exc:  # reported per clip; the rest of the evaluation goes on
        score.error = f"{type(exc).__name__}: {exc}"
        return score
    res = analysis.result
    reported = set(res.fault_ids)
    score.reported = sorted(reported)
    score.recognized = res.extra.get("recognized_exercise")
    if label.reps is not None:
        score.reps_found = res.rep_count
        score.reps_ok = abs(res.rep_count - label.reps) <= label.reps_tolerance
    score.faults_found = [f for f in label.faults if f in reported]
    score.faults_missed = [f for f in label.faults if f not in reported]
    score.false_alarms = [f for f in label.no_faults if f in reported]
    score.margins = _margins(analysis, label)
    return score


def _margins(analysis: Analysis, label: ClipLabel) -> list[CheckMargin]:
    from formcheck.analysis.margins import check_margins

    try:
        return check_margins(analysis, label.faults, label.no_faults)
    except Exception as exc:  # margins are diagnostics: never fail the scoring for them
        from formcheck.analysis.margins import CheckMargin

        return [CheckMargin("-", "-", note=f"margins failed: {type(exc).__name__}: {exc}")]


def summarize(scores: list[ClipScore]) -> Summary:
    return Summary(
        clips=len(scores),
        reps_clips=sum(1 for s in scores if s.label.reps is not None),
        reps_ok=sum(1 for s in scores if s.reps_ok),
        faults_expected=sum(len(s.label.faults) for s in scores),
        faults_found=sum(len(s.faults_found) for s in scores),
        false_alarms=sum(len(s.false_alarms) for s in scores),
        errors=sum(1 for s in scores if s.error),
    )


def format_table(scores: list[ClipScore]) -> str:
    header = (
        f"{'clip':<22} {'exercise':<14} {'reps exp/found':<15} {'faults missed':<28} "
        f"{'false alarms':<28} reported"
    )
    lines = [header, "-" * len(header)]
    for s in scores:
        if s.error:
            lines.append(f"{s.label.file:<22} {s.label.exercise:<14} ERROR {s.error}")
            continue
        reps = "-"
        if s.label.reps is not None:
            mark = "ok" if s.reps_ok else "XX"
            reps = f"{s.label.reps}+-{s.label.reps_tolerance}/{s.reps_found} {mark}"
        missed = ",".join(s.faults_missed) or "-"
        false = ",".join(s.false_alarms) or "-"
        lines.append(
            f"{s.label.file:<22} {s.label.exercise:<14} {reps:<15} {missed:<28} {false:<28} "
            f"{','.join(s.reported) or '-'}"
        )
    return "\n".join(lines)


def format_margins(scores: list[ClipScore], limit: float | None = None) -> str:
    """One line per judged check with a thresholded signal: the margin to the threshold in
    the signal's units (+ = on the label's side), fragile ones first within each clip.
    ``limit``: only margins below it (e.g. 3 = within 3 deg of flipping, or wrong)."""
    from formcheck.analysis.margins import NO_SIGNAL

    lines = [f"{'clip':<22} {'check':<26} {'label':<6} {'margin':>9}  deciding signal"]
    lines.append("-" * len(lines[0]))
    for s in scores:
        rows = sorted(s.margins, key=lambda m: (m.margin is None, m.margin or 0.0))
        for m in rows:
            if m.margin is None:
                if limit is None and m.note != NO_SIGNAL:
                    lines.append(f"{s.label.file:<22} {m.check:<26} {m.expected:<6} {'-':>9}  "
                                 f"{m.note}")
                continue
            if limit is not None and m.margin >= limit:
                continue
            flag = "  <- wrong side" if m.margin < 0 else ""
            if m.check in s.faults_missed or m.check in s.false_alarms:
                flag += "  (judged wrong: " + ("not reported" if m.expected == "fault"
                                              else "reported") + ")"
            lines.append(f"{s.label.file:<22} {m.check:<26} {m.expected:<6} "
                         f"{m.margin:>+9.2f}  {m.signal} {m.value:.2f} vs {m.threshold:g} "
                         f"{m.unit}{flag}".rstrip())
    return "\n".join(lines)


def run_evaluation(labels: str | os.PathLike[str], videos: str | os.PathLike[str] | None = None,
                   options: EstimatorOptions | None = None,
                   exercises: list[str] | None = None, jobs: int = 1) -> list[ClipScore]:
    """Score every labelled clip, in label order; ``jobs`` > 1 scores them in that many
    worker processes (:func:`score_clips_parallel`), with the same result."""
    labels = Path(labels)
    folder = Path(videos) if videos else labels.parent
    options = options or EstimatorOptions()
    clips = load_labels(labels)
    if exercises:
        for e in exercises:
            validate_exercise(e)
        clips = [c for c in clips if c.exercise in exercises]
    if jobs > 1 and len(clips) > 1:
        return score_clips_parallel(clips, folder, options, jobs)
    return [score_clip(c, folder, options) for c in clips]


def score_clips_parallel(clips: list[ClipLabel], folder: Path, options: EstimatorOptions,
                         jobs: int) -> list[ClipScore]:
    """:func:`score_clip` for each clip in ``jobs`` spawned worker processes (the batch
    runner's approach: spawn, so no mediapipe state is forked), returned in label order.

    A worker that dies (a native crash) turns the clips it took down into error rows; the
    others are still scored.
    """
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool
    from multiprocessing import get_context

    def size(c: ClipLabel) -> int:
        try:
            return (folder / c.file).stat().st_size
        except OSError:
            return 0

    workers = min(jobs, len(clips))
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"))
    try:
        # biggest clips first, so no worker is left with a long clip at the end
        futs = {id(c): pool.submit(score_clip, c, folder, options)
                for c in sorted(clips, key=size, reverse=True)}
        scores = []
        for clip in clips:
            fut = futs[id(clip)]
            try:
                scores.append(fut.result())
            except BrokenProcessPool:
                scores.append(ClipScore(clip, error="worker crashed (the process died while "
                                        "scoring this clip)"))
    except BaseException:
        # Ctrl-C: stop the workers now rather than finish every queued clip
        procs = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for proc in procs:
            proc.terminate()
        raise
    pool.shutdown()
    return scores


def main_evaluate(args: argparse.Namespace) -> int:
    """``formcheck evaluate`` body; returns the exit status."""
    from formcheck.io.model_download import resolve_model

    # the CLI puts --track / --full-rate / --model-fps into args.estimator
    options = getattr(args, "estimator", None) or EstimatorOptions(
        model=args.model, model_path=args.model_path)
    resolve_model(options.model, options.model_path)  # a wrong model: one line, before any clip
    scores = run_evaluation(args.labels, args.videos, options, args.exercise or None,
                            jobs=getattr(args, "jobs", 1))
    print(format_table(scores))
    if getattr(args, "margins", False):
        print()
        print(format_margins(scores, getattr(args, "margins_below", None)))
    summary = summarize(scores)
    print(summary.line())
    failed = []
    if not scores:
        failed.append("no clips to evaluate")
    if args.min_reps > 0 and summary.reps_clips == 0:
        failed.append("no clip has a reps label, so --min-reps cannot be met")
    if args.min_faults > 0 and summary.faults_expected == 0:
        failed.append("no clip has a faults label, so --min-faults cannot be met")
    if summary.reps_rate < args.min_reps:
        failed.append(f"reps {summary.reps_rate:.0%} < {args.min_reps:.0%}")
    if summary.faults_rate < args.min_faults:
        failed.append(f"faults found {summary.faults_rate:.0%} < {args.min_faults:.0%}")
    if summary.false_alarms > args.max_false_alarms:
        failed.append(f"false alarms {summary.false_alarms} > {args.max_false_alarms}")
    if summary.errors:
        failed.append(f"{summary.errors} clip(s) failed")
    if failed:
        print("below threshold: " + "; ".join(failed), file=sys.stderr)
        return 1
    return 0
