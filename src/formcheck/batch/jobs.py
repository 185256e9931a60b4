"""One clip's work in a batch: the job and option types every backend shares, and
:func:`score_one`, the worker entry point (a path in, a small picklable outcome out).

The runner (:mod:`formcheck.batch.runner`) plans jobs and writes files; a backend (local
process pool in the runner, :mod:`formcheck.batch.dask_backend`) only calls :func:`score_one`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from formcheck.core.errors import FormcheckError

if TYPE_CHECKING:
    from formcheck.analysis.pipeline import Analysis, AnalysisOptions


class BatchError(FormcheckError):
    """A problem with the batch's inputs or options (user-facing message)."""


@dataclass(frozen=True)
class ClipOptions:
    """What decides a clip's result, besides its bytes and the model file (part of the key)."""

    exercise: str  # exercise id or "auto"
    model: str = "full"
    model_path: str | None = None
    smoothing: bool = True
    #: the model on every frame, not at the recorded-video default rate (``--full-rate``)
    full_rate: bool = False


@dataclass(frozen=True)
class Job:
    clip: str  # output name (unique within the batch)
    path: str
    key: str


@dataclass
class ClipOutcome:
    """What a worker sends back: the analyze document, or an error message."""

    clip: str
    doc: dict[str, Any] | None = None
    error: str | None = None
    #: the clip's HTML report, when asked for (``--clip-reports``)
    html: str | None = None


class Backend(Protocol):
    """Runs jobs somewhere (local processes, a Dask cluster), calling ``done(job, outcome)`` in
    this process as each finishes; every backend calls :func:`score_one` for each job."""

    def __call__(self, jobs: list[Job], options: ClipOptions, workers: int, scheduler: str | None,
                 done: Callable[[Job, ClipOutcome], None], clip_reports: bool = False) -> None: ...


# ---- one clip (runs in a worker) ------------------------------------------------------------

def analysis_options(options: ClipOptions, exercise: str) -> AnalysisOptions:
    from formcheck.analysis.pipeline import AnalysisOptions, default_smoothing
    from formcheck.io.estimator import EstimatorOptions

    est = EstimatorOptions(model=options.model, model_path=options.model_path)
    if not options.full_rate:
        est = est.for_recorded_video()
    return AnalysisOptions(
        exercise=exercise,
        estimator=est,
        smoothing=default_smoothing(est) if options.smoothing else None,
    )


def analyze_clip(path: str | os.PathLike[str], options: ClipOptions) -> Analysis:
    """The :class:`pipeline.Analysis` of one clip, by the same path as ``formcheck analyze``."""
    from formcheck.analysis.pipeline import analyze_path

    return analyze_path(path, analysis_options(options, options.exercise))


def clip_document(analysis: Analysis, options: ClipOptions) -> dict[str, Any]:
    """The JSON document ``formcheck analyze --json`` writes for this analysis."""
    from formcheck.analysis.pipeline import result_document

    return result_document(analysis, {"model": options.model})


def score_one(clip: str, path: str, options: ClipOptions,
              clip_report: bool = False) -> ClipOutcome:
    """Worker entry point: analyse one clip; any failure becomes an error outcome."""
    try:
        analysis = analyze_clip(path, options)
        doc = clip_document(analysis, options)
    except Exception as exc:  # one bad clip must not stop the batch: report it in its row
        return ClipOutcome(clip, error=short_error(exc, path))
    html = None
    if clip_report:
        from formcheck.render.report import clip_report_html

        try:
            html = clip_report_html(analysis, doc, path)
        except Exception:  # the scores stand without the page; a re-run retries the page
            html = None
    return ClipOutcome(clip, doc=doc, html=html)


def short_error(exc: BaseException, path: str | os.PathLike[str] | None = None) -> str:
    msg = " ".join(str(exc).split())
    if path is not None:  # rows must not depend on the folder the batch ran from
        for form in {str(Path(path).resolve()), str(path)}:
            msg = msg.replace(form, Path(path).name)
    return f"{type(exc).__name__}: {msg}"[:300]
