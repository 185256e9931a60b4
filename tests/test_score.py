"""Form score: the documented formula, on hand-made result documents."""

from __future__ import annotations

import pytest

from formcheck.analysis.score import EVENT_S, fault_seconds, form_score


def doc(reps=(), holds=(), faults=(), duration=20.0, coverage=1.0, with_pose=True):
    return {
        "duration_s": duration,
        "coverage": coverage,
        "frames_with_pose": 100 if with_pose else 0,
        "reps": [{"good": g} for g in reps],
        "holds": [{"start_s": s, "end_s": e, "good_s": g} for s, e, g in holds],
        "faults": [{"check": c, "start_s": s, "end_s": e} for c, s, e in faults],
    }


def test_perfect_clip_scores_100():
    assert form_score(doc(reps=[True] * 10)).score == 100.0


def test_docstring_examples():
    # 10 reps, 5 good, one fault active 30 % of a 20-s clip
    assert form_score(doc(reps=[True] * 5 + [False] * 5,
                          faults=[("back_sag", 2.0, 8.0)])).score == pytest.approx(60.0)
    # 20-s hold, 10 s good, one hold_too_short event
    assert form_score(doc(holds=[(0.0, 20.0, 10.0)],
                          faults=[("hold_too_short", 20.0, 20.0)])).score == pytest.approx(72.5)


def test_overlapping_spans_of_one_check_count_once_and_events_count_one_second():
    t = fault_seconds([{"check": "a", "start_s": 0, "end_s": 4},
                       {"check": "a", "start_s": 2, "end_s": 6},
                       {"check": "b", "start_s": 3, "end_s": 3},
                       {"check": "b", "start_s": 9, "end_s": 9}])
    assert t == {"a": 6.0, "b": 2 * EVENT_S}


def test_more_time_in_fault_ranks_lower():
    scores = [form_score(doc(reps=[True] * 4, faults=[("hips_sagging", 0.0, d)])).score
              for d in (0.0, 2.0, 5.0, 10.0, 40.0)]
    assert scores == sorted(scores, reverse=True)
    assert len(set(scores)) == len(scores)
    assert scores[-1] == 50.0  # fault share capped at 1: only the good-rep half remains


def test_setup_checks_weigh_half_and_pain_stop_not_at_all():
    form = form_score(doc(faults=[("hips_sagging", 0.0, 4.0)])).score
    setup = form_score(doc(faults=[("not_visible", 0.0, 4.0)])).score
    pain = form_score(doc(faults=[("pain_stop", 3.0, 3.0)])).score
    assert form == 80.0 and setup == 90.0 and pain == 100.0


def test_no_person_has_no_score_and_coverage_scales_time_seen():
    assert form_score(doc(with_pose=False)).score is None
    half = form_score(doc(faults=[("x", 0.0, 5.0)], coverage=0.5)).score  # 5 s of 10 s seen
    assert half == 50.0


def test_bad_reps_lower_the_score():
    assert form_score(doc(reps=[True, True, False, False])).score == 75.0
    assert form_score(doc(reps=[False] * 4)).score == 50.0
