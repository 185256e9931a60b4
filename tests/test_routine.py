"""The guided routine: programme order and targets, when a set is done, moving through the
exercises with rests, quitting and pain stops."""

from __future__ import annotations

from types import SimpleNamespace

from formcheck.coach.capture import FrameGrabber, SessionClock
from formcheck.coach.routine import PROGRAMME, RoutineStep, run_steps, target_met
from formcheck.coach.session import LiveParams
from formcheck.coach.window import KEY_NEXT, KEY_PAIN, KEY_QUIT
from formcheck.core.results import FrameFeedback, Hold, Rep

from .test_live import FakeCamera, FakeEstimator, Proc


def test_programme_in_the_guides_order_with_its_targets():
    assert [s.exercise for s in PROGRAMME] == [
        "pelvic_tilt", "knee_to_chest", "cat_cow", "bird_dog", "glute_bridge", "plank"]
    steps = {s.exercise: s for s in PROGRAMME}
    assert steps["pelvic_tilt"].reps == 10 and "3-5 s" in steps["pelvic_tilt"].target_text
    assert steps["knee_to_chest"].hold_s == 15 and steps["knee_to_chest"].per_side
    assert steps["bird_dog"].per_side and "alternate" in steps["bird_dog"].target_text
    assert "5 s" in steps["glute_bridge"].target_text
    assert steps["plank"].hold_s == 30 and "modified" in steps["plank"].target_text


def fb(hold=None):
    return FrameFeedback(t_s=0, pose_found=True, hold_s=hold)


def test_target_met_rules():
    reps = RoutineStep("pelvic_tilt", reps=3)
    a = SimpleNamespace(reps=[Rep(i, 0, 1) for i in range(2)], holds=[])
    assert not target_met(reps, a, fb())
    a.reps.append(Rep(3, 0, 1))
    assert target_met(reps, a, fb())
    # knee to chest: a good-form hold of 15 s on each side
    k2c = RoutineStep("knee_to_chest", hold_s=15, per_side=True)
    a = SimpleNamespace(reps=[], holds=[Hold(0, 20, 16, "left"), Hold(30, 45, 12, "right")])
    assert not target_met(k2c, a, fb())
    a.holds.append(Hold(50, 70, 18, "right"))
    assert target_met(k2c, a, fb())
    # plank: the live good-form hold reaching 30 s
    plank = RoutineStep("plank", hold_s=30)
    assert not target_met(plank, SimpleNamespace(reps=[], holds=[]), fb(29.5))
    assert target_met(plank, SimpleNamespace(reps=[], holds=[]), fb(30.0))


class KeyEvery:
    """A display that presses ``key`` every ``n`` frames (and ``extra`` keys at given frames)."""

    def __init__(self, n=None, key=KEY_NEXT, extra=None):
        self.n, self.key, self.extra = n, key, dict(extra or {})
        self.shown = 0
        self.banners = []

    def show(self, rgb):
        self.shown += 1
        if self.shown in self.extra:
            return self.extra.pop(self.shown)
        if self.n and self.shown % self.n == 0:
            return self.key
        return -1

    def poll(self):
        return -1

    def close(self):
        pass


def run(steps, display, seconds=30.0, rest_s=0.3):
    grabber = FrameGrabber(FakeCamera(seconds), SessionClock()).start()
    try:
        return run_steps(steps, grabber, FakeEstimator(), display, lambda ex: Proc(),
                         rest_s=rest_s, params=LiveParams(ready_s=0.2))
    finally:
        grabber.stop()


def test_next_walks_through_every_exercise_in_order():
    r = run(PROGRAMME, KeyEvery(12))
    assert r.end_reason == "completed"
    assert [s.exercise for s, _ in r.steps] == [s.exercise for s in PROGRAMME]
    assert all(o.end_reason == "next" for _, o in r.steps)


def test_target_met_moves_on_by_itself():
    steps = (RoutineStep("glute_bridge", reps=1), RoutineStep("glute_bridge", reps=1))
    r = run(steps, KeyEvery(None), seconds=20.0)
    (s1, o1), (s2, o2) = r.steps
    assert o1.end_reason == "target_met" and o1.result.rep_count == 1
    assert r.end_reason in ("completed", "source_ended")


def test_quit_ends_the_routine():
    # next at frame 15; a 0.3 s rest (~9 frames); quit at frame 45, inside the second set
    r = run(PROGRAMME, KeyEvery(None, extra={15: KEY_NEXT, 45: KEY_QUIT}))
    assert r.end_reason == "quit"
    assert [o.end_reason for _, o in r.steps] == ["next", "quit"]


def test_pain_stop_ends_the_routine_at_once():
    r = run(PROGRAMME, KeyEvery(None, extra={10: KEY_PAIN, 11: ord("x")}))
    assert r.end_reason == "pain_stop"
    assert len(r.steps) == 1
    assert len(r.steps[0][1].result.pain_stops) == 1
