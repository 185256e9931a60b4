"""The shared analyzer machinery: debounced fault spans, hysteresis, hold timing, event cues."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from formcheck.core.pose import Landmark
from formcheck.core.results import FaultSpan
from formcheck.exercises.families.base import Analyzer, FaultTracker, FrameEval, HoldTimer, Hysteresis

from .builders import make_pose


def test_fault_tracker_ignores_a_single_frame_blip_and_reports_a_sustained_fault():
    tr = FaultTracker(min_on_s=0.3, min_off_s=0.3)
    t = [i / 30 for i in range(120)]
    for ti in t[:30]:
        tr.update("hips_sagging", ti == t[10], ti, "cue")  # one-frame blip at 0.33 s
    assert tr.spans == []
    for ti in t[30:90]:
        tr.update("hips_sagging", True, ti, "cue", value=12.0)
    for ti in t[90:]:
        tr.update("hips_sagging", False, ti, "cue")
    assert len(tr.spans) == 1
    span = tr.spans[0]
    assert span.start_s == pytest.approx(1.0) and span.end_s == pytest.approx(t[89])
    assert tr.active() == []


def test_fault_tracker_keeps_a_fault_open_through_brief_ok_jitter():
    tr = FaultTracker(min_on_s=0.2, min_off_s=0.3)
    for i in range(90):
        ti = i / 30
        # sustained for the first 0.5 s, then every 7th frame reads OK
        tr.update("x", i < 15 or i % 7 != 0, ti, "cue")
    assert len(tr.spans) == 1
    assert tr.spans[0].end_s == pytest.approx(89 / 30)


def test_hysteresis_needs_both_thresholds_to_switch():
    h = Hysteresis(on=10.0, off=5.0)
    states = [h.update(v, i) for i, v in enumerate([4, 9, 11, 8, 6, 4, 9])]
    assert states == [False, False, True, True, True, False, False]
    with pytest.raises(ValueError):
        Hysteresis(on=5.0, off=10.0)


def test_hold_timer_counts_only_good_form_and_pauses_without_pose():
    timer = HoldTimer(release_s=0.3)
    for i in range(30):  # 1 s in target, good
        timer.update(i / 30, True, True)
    for i in range(30, 60):  # 1 s in target, bad form
        timer.update(i / 30, True, False)
    for i in range(60, 90):  # 1 s no pose: paused, not ended
        timer.pause(i / 30)
    assert timer.active
    timer.update(3.0, True, True)
    ended = None
    for i in range(91, 120):
        ended = timer.update(i / 30, False) or ended
    assert ended is not None
    assert ended.good_s == pytest.approx(29 / 30, abs=0.05)


@dataclass(frozen=True)
class _Params:
    pass


class _EventAnalyzer(Analyzer):
    exercise_id = "glute_bridge"
    Params = _Params

    def required_landmarks(self, side):
        return [Landmark.NOSE]

    def evaluate(self, pose):
        return FrameEval(t_s=pose.timestamp_ms / 1000)

    def step(self, ev):
        if abs(ev.t_s - 1.0) < 1e-6:
            self.tracker.add(FaultSpan("hold_too_short", 0.5, 1.0, self.cue("hold_too_short")))


def test_event_fault_cue_is_shown_for_a_few_seconds_after_the_event():
    a = _EventAnalyzer()
    cues = {}
    for i in range(0, 60):
        t_ms = i * 100.0
        fb = a.update(make_pose(t_ms=t_ms), t_ms)
        cues[round(t_ms / 1000, 1)] = fb.cue
    assert cues[0.5] is None
    assert cues[2.0] == "Hold at the top for 5 seconds"
    assert cues[5.0] is None
    assert a.result().fault_ids == ["hold_too_short"]


def test_event_faults_reach_the_result_with_what_was_and_was_not_measured():
    a = _EventAnalyzer()
    a.mark_unmeasurable("hold_too_short", "frames are 0.30 s apart")
    a.mark_unmeasurable("hold_too_short", "a later reason")  # the first reason is kept
    a.mark_unmeasurable("hips_too_low", "hips out of view")
    a.mark_unmeasurable("lowering_too_fast", "frames are 0.30 s apart")
    held = a.add_event("hold_too_short", 2.0, 3.5, 1.5, side="left")  # judged: measured
    seen = a.record_event("hips_too_low", 4.0, 5.0, 12.0, worst_s=4.5)  # recorded as given
    a.mark_measured("lowering_too_fast")
    a.mark_unmeasurable("lowering_too_fast", "too late")  # judged already
    res = a.result()
    assert [(f.check, f.start_s, f.end_s, f.side, f.worst_s, f.worst_value) for f in res.faults] \
        == [("hold_too_short", 2.0, 3.5, "left", 3.5, 1.5), ("hips_too_low", 4.0, 5.0, None, 4.5, 12.0)]
    assert res.faults[0].cue == "Hold at the top for 5 seconds"
    assert res.not_measurable == {"hips_too_low": "hips out of view"}
    assert a.tracker.events == [held, seen]


def test_a_timed_stretch_under_its_minimum_is_an_event_fault_and_one_at_it_is_measured_ok():
    a = _EventAnalyzer()
    assert a.judge_min_duration("hold_too_short", 1.0, 4.0, 3.0, 5.0, side="left")
    assert not a.judge_min_duration("lowering_too_fast", 6.0, 7.0, 1.0, 1.0)
    a.mark_unmeasurable("lowering_too_fast", "frames are 0.30 s apart")  # judged already
    res = a.result()
    assert [(f.check, f.start_s, f.end_s, f.side, f.worst_s, f.worst_value) for f in res.faults] \
        == [("hold_too_short", 1.0, 4.0, "left", 4.0, 3.0)]
    assert res.not_measurable == {}


def test_analyzer_rejects_params_of_another_exercise():
    with pytest.raises(ValueError, match="expects"):
        _EventAnalyzer(params=object())


def test_windowed_share_forgets_samples_older_than_the_window():
    from formcheck.exercises.families.base import WindowedShare

    w = WindowedShare(window_s=1.0)
    shares = [w.update(i / 10, i < 5) for i in range(20)]  # hidden for the first 0.5 s
    assert shares[4] == 1.0
    assert shares[9] == pytest.approx(0.5)
    assert shares[-1] == 0.0


def test_frame_clock_reports_median_spacing():
    from formcheck.exercises.families.base import FrameClock

    clock = FrameClock(n=5)
    assert np.isnan(clock.dt)
    for t in (0.0, 0.3, 0.6, 0.9, 2.0, 2.3):
        clock.tick(t)
    assert clock.dt == pytest.approx(0.3)


class _ClockAnalyzer(_EventAnalyzer):
    """Records the frame spacing each frame's begin_frame() and evaluate() see."""

    def reset(self):
        super().reset()
        self.seen_at_begin: list[tuple[float, bool]] = []
        self.seen_in_evaluate: list[float] = []

    def begin_frame(self, pose):
        self.seen_at_begin.append((self.clock.dt, pose is not None))

    def evaluate(self, pose):
        self.seen_in_evaluate.append(self.clock.dt)
        return super().evaluate(pose)


def test_every_analyzer_times_its_frames_before_scoring_them_also_without_a_pose():
    a = _ClockAnalyzer()
    a.update(make_pose(t_ms=0.0), 0.0)
    a.update(None, 500.0)  # no person: the frame still counts for the spacing
    a.update(make_pose(t_ms=1000.0), 1000.0)
    assert np.isnan(a.seen_at_begin[0][0])
    assert a.seen_at_begin[1:] == [(pytest.approx(0.5), False), (pytest.approx(0.5), True)]
    # evaluate() of the third frame already sees that frame's spacing
    assert a.seen_in_evaluate[-1] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="t_ms"):
        a.update(None)
    assert len(a.seen_at_begin) == 3  # a frame refused for having no time is not counted
    a.reset()
    assert np.isnan(a.clock.dt)


class _StatesAnalyzer(_EventAnalyzer):
    """Cannot see hips_too_low on the first frame, sees it fine on the second."""

    def evaluate(self, pose):
        ev = FrameEval(t_s=pose.timestamp_ms / 1000)
        ev.not_measurable("hips_too_low", "hips out of view")
        if ev.t_s > 0:
            ev.judge("hips_too_low", False)
        return ev


def test_check_states_from_evaluate_reach_the_feedback_and_the_result():
    from formcheck.core.results import CheckState

    ev = FrameEval(t_s=0.0)
    ev.not_measurable("x", "why")
    assert ev.checks == {"x": CheckState.NOT_MEASURABLE} and ev.reasons == {"x": "why"}
    ev.judge("x", True)
    assert ev.checks == {"x": CheckState.FAULT} and ev.reasons == {} and ev.is_fault("x")
    a = _StatesAnalyzer()
    first = a.update(make_pose(t_ms=0.0), 0.0)
    assert first.checks["hips_too_low"] == CheckState.NOT_MEASURABLE
    assert first.checks["not_in_position"] == CheckState.OK
    assert a.not_measurable == {"hips_too_low": "hips out of view"}
    second = a.update(make_pose(t_ms=100.0), 100.0)
    assert second.checks["hips_too_low"] == CheckState.OK
    assert a.result().not_measurable == {}  # measured after all
