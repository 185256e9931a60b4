"""Voice: never blocks, one utterance every few seconds, no repeats within the cool-down,
stale utterances dropped, pain advice at once; what the coach decides to say; espeak-ng
really produces sound."""

from __future__ import annotations

import shutil
import time

import pytest

from formcheck.coach.voice import (
    PRIORITY_INFO,
    PRIORITY_URGENT,
    RecordingBackend,
    Voice,
    VoiceCoach,
    VoiceParams,
    synthesize_wav,
    wav_rms,
)
from formcheck.core.checks import PAIN_STOP_ADVICE
from formcheck.core.results import FrameFeedback


class Clock:
    def __init__(self):
        self.t = 100.0

    def __call__(self):
        return self.t


def wait_for(cond, timeout=2.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.01)
    return cond()


@pytest.fixture
def voice():
    clock = Clock()
    backend = RecordingBackend()
    v = Voice(backend, VoiceParams(min_interval_s=3.0, repeat_cooldown_s=12.0, max_age_s=2.5),
              clock=clock)
    yield v, backend, clock
    v.close()


def test_say_never_blocks_while_speaking():
    backend = RecordingBackend(delay_s=1.0)  # each utterance takes a second to say
    with Voice(backend, VoiceParams(min_interval_s=0.0)) as v:
        t0 = time.perf_counter()
        for i in range(20):
            v.say(f"cue {i}")
        assert time.perf_counter() - t0 < 0.05
        assert wait_for(lambda: backend.said)
    assert len(backend.said) <= 2  # newest wins: no backlog of 20 sentences


def test_one_utterance_per_interval(voice):
    v, backend, clock = voice
    v.say("Keep your back flat")
    assert wait_for(lambda: backend.said == ["Keep your back flat"])
    clock.t += 1.0
    v.say("Lower your hips slowly")
    time.sleep(0.2)
    assert backend.said == ["Keep your back flat"], "spoke again within 3 s"
    clock.t += 2.1  # 3.1 s after the first; the second waited 2.1 s (< max age)
    assert wait_for(lambda: len(backend.said) == 2)
    assert backend.said[1] == "Lower your hips slowly"


def test_stale_utterance_is_dropped(voice):
    v, backend, clock = voice
    v.say("one")
    assert wait_for(lambda: backend.said == ["one"])
    clock.t += 0.5
    v.say("Lower your hips slowly")
    clock.t += 3.0  # now allowed, but it waited 3 s: the moment has passed
    v.flush(timeout_s=1.0)
    assert backend.said == ["one"]


def test_same_cue_not_repeated_within_cooldown(voice):
    v, backend, clock = voice
    assert v.say("Keep your back flat")
    assert wait_for(lambda: len(backend.said) == 1)
    clock.t += 5.0
    assert not v.say("Keep your back flat")
    clock.t += 8.0  # 13 s after the first
    assert v.say("Keep your back flat")
    assert wait_for(lambda: len(backend.said) == 2)


def test_pain_advice_skips_the_limits(voice):
    v, backend, clock = voice
    v.say("one")
    assert wait_for(lambda: len(backend.said) == 1)
    clock.t += 0.2
    v.say(PAIN_STOP_ADVICE, PRIORITY_URGENT)
    assert wait_for(lambda: backend.said[-1] == PAIN_STOP_ADVICE)


def test_a_count_does_not_replace_a_waiting_cue(voice):
    v, backend, clock = voice
    v.say("one")
    assert wait_for(lambda: len(backend.said) == 1)
    clock.t += 1.0
    assert v.say("Keep your back flat")
    assert not v.say("3", PRIORITY_INFO)
    clock.t += 2.1
    assert wait_for(lambda: len(backend.said) == 2)
    assert backend.said[1] == "Keep your back flat"


def fb(t, reps=None, cue=None, faults=(), hold=None, target=None, pain=False):
    return FrameFeedback(t_s=t, pose_found=True, checks={"x": "ok"}, faults=list(faults),
                         cue=cue, reps=reps or {"total": 0}, hold_s=hold, hold_target_s=target,
                         pain_stop=pain)


class Recorder:
    def __init__(self):
        self.said = []

    def say(self, text, priority=1):
        self.said.append(text)
        return True


def test_coach_says_counts_cues_and_hold_done():
    rec = Recorder()
    coach = VoiceCoach(rec)
    coach.update(fb(0.0))
    coach.update(fb(0.1, reps={"total": 1}))
    for i in range(10):  # the same fault for many frames: said once
        coach.update(fb(0.2 + i / 30, reps={"total": 1}, cue="Keep your back flat",
                        faults=["back_sag"]))
    coach.update(fb(1.0, reps={"total": 1}, hold=2.0, target=5.0))
    coach.update(fb(2.0, reps={"total": 1}, hold=5.0, target=5.0))
    coach.update(fb(2.1, reps={"total": 1}, hold=5.1, target=5.0))
    assert rec.said == ["1", "Keep your back flat", "Good. Now relax."]


def test_coach_names_the_side():
    rec = Recorder()
    coach = VoiceCoach(rec)
    coach.update(fb(0.0, reps={"total": 1, "left_arm": 1}))
    coach.update(fb(1.0, reps={"total": 2, "left_arm": 1, "right_arm": 1}))
    assert rec.said == ["Left arm 1", "Right arm 1"]


def test_coach_pain_stop_once():
    rec = Recorder()
    coach = VoiceCoach(rec)
    for i in range(5):
        coach.update(fb(i, pain=True))
    assert rec.said == [PAIN_STOP_ADVICE]


@pytest.mark.skipif(shutil.which("espeak-ng") is None,
                    reason="espeak-ng is not installed (apt-get install espeak-ng)")
def test_espeak_synthesizes_audible_speech(tmp_path):
    wav = synthesize_wav("Lift your hips to a straight line", tmp_path / "cue.wav")
    rms, n, rate = wav_rms(wav)
    assert n / rate > 1.0  # about two seconds of speech
    assert rms > 0.02, f"the wav is (nearly) silent: rms {rms:.4f}"
    short = synthesize_wav("Go", tmp_path / "go.wav")
    assert wav_rms(short)[1] < n  # a longer sentence makes a longer sound
