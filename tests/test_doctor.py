"""`formcheck doctor`: each check's verdict with and without the piece it needs, and the
exit status (non-zero when something asked for cannot work)."""

from __future__ import annotations

import shutil
import socket

import pytest

from formcheck.cli import doctor, main
from formcheck.io.models import find_model

ALL_BUT = {c: [a for o in doctor.CHECKS if o != c for a in ("--skip", o)] for c in doctor.CHECKS}


def run_one(check: str, *extra: str, capsys) -> tuple[int, str]:
    rc = main(["doctor", *ALL_BUT[check], *extra])
    cap = capsys.readouterr()
    return rc, cap.out + cap.err


def test_no_camera_fails_and_says_how_to_fix(capsys):
    # no /dev/video63 on any ordinary machine: the camera the user asked for is not there
    rc, out = run_one("camera", "--camera", "63", capsys=capsys)
    assert rc == 1
    assert "FAIL  camera   camera 63 could not be opened" in out
    assert "fix: connect a webcam" in out and "1 check(s) failed: camera" in out


def test_a_video_file_standing_in_for_the_camera_delivers_frames(samples, capsys):
    rc, out = run_one("camera", "--camera", str(samples / "plank_04.mp4"), capsys=capsys)
    assert rc == 0
    assert "ok    camera   plank_04.mp4 delivers frames (1280x720" in out


def test_display_missing_unreachable_and_present(tmp_path):
    v = doctor.check_display(env={})
    assert v.status == "fail" and "no DISPLAY" in v.message and "xvfb-run" in v.fix
    # DISPLAY set, but no X server behind it
    v = doctor.check_display(env={"DISPLAY": ":97"}, x11_socket_dir=tmp_path)
    assert v.status == "fail" and "does not answer" in v.message
    # an X server socket that accepts connections (what Xorg/Xvfb create in /tmp/.X11-unix)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(tmp_path / "X97"))
    server.listen(1)
    try:
        v = doctor.check_display(env={"DISPLAY": ":97"}, x11_socket_dir=tmp_path)
    finally:
        server.close()
    assert v.status == "ok" and "X server :97 accepts connections" in v.message
    assert doctor.check_display(env={"DISPLAY": "nonsense"}).status == "fail"


def test_no_display_makes_doctor_exit_non_zero(monkeypatch, capsys):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    rc, out = run_one("display", capsys=capsys)
    assert rc == 1 and "FAIL  display" in out and "fix:" in out


def test_voice_without_espeak_fails_with_install_hint(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))  # espeak-ng is nowhere on PATH
    rc, out = run_one("voice", capsys=capsys)
    assert rc == 1
    assert "FAIL  voice    espeak-ng not found" in out and "apt-get install espeak-ng" in out


def test_voice_that_exits_with_an_error_fails(tmp_path):
    broken = tmp_path / "espeak-ng"
    broken.write_text("#!/bin/sh\nexit 3\n")
    broken.chmod(0o755)
    v = doctor.check_voice(str(broken))
    assert v.status == "fail" and "installed but failed" in v.message


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed")
def test_voice_speaks():
    v = doctor.check_voice()
    # ok with a sound device, a warning without one (a headless test machine): never a fail
    assert v.status in ("ok", "warn")
    assert "espeak-ng speaks" in v.message and "s of audio" in v.message


def test_no_model_fails(tmp_path, capsys):
    rc, out = run_one("model", "--model-path", str(tmp_path / "none.task"), capsys=capsys)
    assert rc == 1 and "FAIL  model    pose model" in out and "formcheck fetch --models" in out


def test_a_broken_model_file_fails_to_run(tmp_path):
    bad = tmp_path / "pose_landmarker_full.task"
    bad.write_bytes(b"not a model" * 100)
    v = doctor.check_model(model_path=str(bad))
    assert v.status == "fail" and "does not run" in v.message


@pytest.mark.skipif(find_model("full") is None, reason="pose model 'full' not found")
def test_model_runs_on_a_test_frame_and_reports_time_per_frame():
    v = doctor.check_model("full", frames=3)
    assert v.status in ("ok", "warn")  # warn only when slower than live needs
    assert "pose_landmarker_full.task runs:" in v.message and "ms per frame" in v.message


def test_disk_space_verdicts(tmp_path):
    def usage(free_mb):
        return lambda path: (10**12, 10**12 - free_mb * 10**6, free_mb * 10**6)

    assert doctor.check_disk(tmp_path, usage(50_000)).status == "ok"
    v = doctor.check_disk(tmp_path, usage(300))
    assert v.status == "warn" and "300 MB free" in v.message and "--record" in v.fix
    v = doctor.check_disk(tmp_path / "not" / "yet", usage(10))
    assert v.status == "fail" and str(tmp_path) in v.message


def test_history_writable_missing_and_blocked(tmp_path, capsys):
    v = doctor.check_history(tmp_path / "new" / "history.jsonl")
    assert v.status == "ok" and "will be created" in v.message
    assert not (tmp_path / "new").exists()  # the check writes nothing
    existing = tmp_path / "h.jsonl"
    existing.write_text('{"started": "2026-11-01T08:00:00+00:00", "exercises": []}\n')
    v = doctor.check_history(existing)
    assert v.status == "ok" and "1 session(s)" in v.message
    assert existing.read_text().count("\n") == 1
    blocker = tmp_path / "file"
    blocker.write_text("x")
    rc, out = run_one("history", "--history", str(blocker / "history.jsonl"), capsys=capsys)
    assert rc == 1 and "FAIL  history" in out and f"{blocker} is a file" in out


def test_everything_skipped_but_working_checks_exits_zero(tmp_path, capsys):
    rc = main(["doctor", "--skip", "camera", "--skip", "display", "--skip", "voice",
               "--skip", "model", "--history", str(tmp_path / "h.jsonl"),
               "--record-dir", str(tmp_path)])
    out = capsys.readouterr().out
    assert rc == 0 and "everything checked works" in out
    assert [ln.split()[1] for ln in out.splitlines()[1:7]] == list(doctor.CHECKS)


def test_doctor_is_listed_in_the_help(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "doctor" in capsys.readouterr().out
