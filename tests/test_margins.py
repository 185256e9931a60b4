"""``formcheck evaluate --margins``: how far a judged check's deciding signal was from its
threshold, on synthetic plank tracks whose hip angle is known."""

from __future__ import annotations

import pytest

from formcheck.analysis.evaluate import ClipLabel, ClipScore, format_margins
from formcheck.analysis.margins import check_margins
from formcheck.analysis.pipeline import Analysis
from formcheck.exercises.plank import PlankAnalyzer, PlankParams
from tests.builders import pose_sequence, run_analyzer
from tests.test_ex_plank import plank

SAG = -PlankParams().hip_sag_deg  # hip_dev below this is a sag


def _analysis(fn, seconds: float = 6.0) -> Analysis:
    res, fbs = run_analyzer(PlankAnalyzer(), pose_sequence(fn, seconds, 30.0))
    return Analysis(res, fbs)


def _hip_dev(a: Analysis, t_s: float) -> float:
    return next(f.signals["hip_dev"] for f in a.frames if f.t_s >= t_s)


def test_a_clean_plank_is_clear_of_the_sag_line_by_its_distance():
    a = _analysis(lambda t: plank(hip_dev=0.0))
    assert "hips_sagging" not in a.result.fault_ids
    (m,) = check_margins(a, [], ["hips_sagging"])
    assert m.signal == "hip_dev" and m.threshold == pytest.approx(SAG) and m.unit == "deg"
    # a steady pose: the margin is the hip angle's distance above the sag line, in degrees
    assert m.margin == pytest.approx(_hip_dev(a, 1.0) - SAG, abs=0.05)
    assert m.margin > 0


def test_a_sag_is_past_the_line_and_a_missed_one_is_negative():
    a = _analysis(lambda t: plank(hip_dev=0.0 if t < 3 else -30.0))
    sagged = _hip_dev(a, 5.0)
    assert sagged < SAG and "hips_sagging" in a.result.fault_ids
    sag, = check_margins(a, ["hips_sagging"], [])
    assert sag.margin == pytest.approx(SAG - sagged, abs=0.05)
    assert sag.value == pytest.approx(sagged, abs=0.05)
    # the same clip labelled fine: the same distance, on the wrong side
    ok, = check_margins(a, [], ["hips_sagging"])
    assert ok.margin == pytest.approx(sagged - SAG, abs=0.05)
    # a two-frame sag (shorter than the time a fault needs to open) does not decide
    spike = _analysis(lambda t: plank(hip_dev=-30.0 if 2.0 <= t < 2.06 else 0.0))
    assert "hips_sagging" not in spike.result.fault_ids
    m, = check_margins(spike, [], ["hips_sagging"])
    assert m.margin == pytest.approx(_hip_dev(spike, 1.0) - SAG, abs=0.05)


def test_evaluate_lists_margins_with_units_and_flags_the_wrong_side():
    a = _analysis(lambda t: plank(hip_dev=-30.0))
    label = ClipLabel("synthetic.mp4", "plank", faults=["hips_sagging"],
                      no_faults=["hips_piking", "not_visible"])
    score = ClipScore(label, margins=check_margins(a, label.faults, label.no_faults))
    text = format_margins([score])
    sag = next(line for line in text.splitlines() if "hips_sagging" in line)
    assert f"{SAG - _hip_dev(a, 1.0):+.2f}" in sag and "hip_dev" in sag and "deg" in sag
    assert "not_visible" not in text  # no thresholded signal: not listed
    wrong = format_margins([ClipScore(label, margins=check_margins(a, [], ["hips_sagging"]))])
    assert "wrong side" in wrong
    piking = next(m for m in score.margins if m.check == "hips_piking")
    assert piking.margin > 2.0 and "hips_piking" not in format_margins([score], limit=2.0)
