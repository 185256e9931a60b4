"""Agreement with the labelled real clips in ../shared/sample_videos/labels.toml.

One test per clip and criterion, so a regression names the clip and the check. Landmarks are
cached per clip (keyed by clip and model hash) in .cache/, so only the first run pays for
the model.
"""

from __future__ import annotations

import pytest

from formcheck.analysis.evaluate import load_labels, score_clip, summarize
from formcheck.io.estimator import EstimatorOptions

from .conftest import LABELS, SAMPLES

CLIPS = load_labels(LABELS) if LABELS.exists() else []
_SCORES: dict[str, object] = {}


def _score(label):
    if label.file not in _SCORES:
        _SCORES[label.file] = score_clip(label, SAMPLES, EstimatorOptions(model="full"))
    return _SCORES[label.file]


@pytest.mark.clips
@pytest.mark.parametrize("label", [c for c in CLIPS if c.reps is not None], ids=lambda c: c.file)
def test_reps_within_tolerance(samples, label):
    s = _score(label)
    assert s.error is None, s.error
    assert s.reps_ok, (
        f"{label.file}: expected {label.reps} +- {label.reps_tolerance} reps, found {s.reps_found}"
    )


@pytest.mark.clips
@pytest.mark.parametrize("label", [c for c in CLIPS if c.faults], ids=lambda c: c.file)
def test_labelled_faults_reported(samples, label):
    s = _score(label)
    assert s.error is None, s.error
    assert not s.faults_missed, f"{label.file}: labelled faults not reported: {s.faults_missed}"


@pytest.mark.clips
@pytest.mark.parametrize("label", CLIPS, ids=lambda c: c.file)
def test_no_false_alarms(samples, label):
    s = _score(label)
    assert s.error is None, s.error
    assert not s.false_alarms, f"{label.file}: reported checks labelled fine: {s.false_alarms}"


@pytest.mark.clips
def test_summary_meets_targets(samples):
    scores = [_score(c) for c in CLIPS]
    summary = summarize(scores)
    print(summary.line())
    assert summary.errors == 0
    assert summary.reps_rate >= 0.9, summary.line()
    assert summary.faults_rate == 1.0, summary.line()
    assert summary.false_alarms == 0, summary.line()
