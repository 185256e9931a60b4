"""``formcheck doctor``: is everything a live session needs here and working?

Each check gives one line: ``ok``, ``WARN`` or ``FAIL``, what was found, and for anything not
ok the fix. The checks, in the order a live session needs them:

* **camera** - the camera opens and delivers frames (index and resolution); ``--camera`` picks
  it as in ``formcheck live`` (an index, or a video file standing in for one);
* **display** - a screen the live window can open on (an X11 or Wayland server that accepts a
  connection; the window itself is not opened, so nothing flashes on screen);
* **voice** - espeak-ng is installed and speaks (a test sentence is synthesised and must hold
  sound);
* **model** - the pose model is found without downloading, loads, and runs on a test frame
  (milliseconds per frame, from a few frames after the first);
* **disk** - free space for recordings (``--record`` writes H.264 at roughly
  :data:`RECORDING_MB_PER_MIN` MB per minute);
* **history** - the history file (``$FORMCHECK_HISTORY`` or the XDG data folder) can be
  appended to. Nothing is written: the test is on the file's or its folder's permissions.

Exit status 1 when a check the user asked for fails (every check not given to ``--skip``);
a WARN (e.g. little disk space left) does not fail. Nothing is downloaded or uploaded.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

CHECKS = ("camera", "display", "voice", "model", "disk", "history")
#: MB per minute of an annotated recording: measured 12.6 MB/min for glute_bridge_01 (1280x720,
#: 30 fps, 13 s: 2.74 MB with `analyze --out-video`); 20 leaves room for busier scenes
RECORDING_MB_PER_MIN = 20.0
#: below this much free space a recording of a routine (about 30 min) would not fit
DISK_WARN_MB = 30 * RECORDING_MB_PER_MIN
#: below this even a short set cannot be recorded
DISK_FAIL_MB = 3 * RECORDING_MB_PER_MIN
#: below this many frames per second the live feedback trails the movement visibly
LIVE_MIN_FPS = 10.0


@dataclass
class Verdict:
    check: str
    status: str  # "ok" | "warn" | "fail" | "skip"
    message: str
    fix: str = ""

    def lines(self) -> list[str]:
        tag = {"ok": "ok", "warn": "WARN", "fail": "FAIL", "skip": "skip"}[self.status]
        out = [f"  {tag:<5} {self.check:<8} {self.message}"]
        if self.fix and self.status in ("warn", "fail"):
            out.append(f"  {'':<5} {'':<8} fix: {self.fix}")
        return out


# ---- camera --------------------------------------------------------------------------------

def check_camera(spec: str = "0", timeout_s: float = 3.0) -> Verdict:
    """The camera (index) or stand-in video file opens and delivers a frame."""
    from formcheck.coach.capture import open_camera  # cv2 before av, see capture.py
    from formcheck.io.video import VideoError

    t0 = time.monotonic()
    try:
        source, desc = open_camera(spec)
    except VideoError as exc:
        return Verdict("camera", "fail", str(exc),
                       "connect a webcam and close other programs using it; list cameras with "
                       "`ls /dev/video*`; pick one with --camera INDEX, or test with a video "
                       "file: --camera clip.mp4")
    if hasattr(source, "timeout_s"):
        source.timeout_s = timeout_s
    frame = None
    try:
        with source:
            frame = next(iter(source), None)
    except VideoError as exc:
        return Verdict("camera", "fail", f"{desc} opens but {exc}",
                       "check the cable and that no other program holds the camera")
    if frame is None:
        return Verdict("camera", "fail", f"{desc} opens but delivers no frames",
                       "check the camera (lens cover, cable) or try another --camera index")
    h, w = frame.rgb.shape[:2]
    took = time.monotonic() - t0
    return Verdict("camera", "ok", f"{desc} delivers frames ({w}x{h}, first frame in "
                   f"{took:.1f} s)")


# ---- display -------------------------------------------------------------------------------

def _x11_reachable(display: str, socket_dir: Path) -> tuple[bool, str]:
    """Connect to the X server of ``display`` (":1", "host:0.0", "unix:2")."""
    host, _, rest = display.rpartition(":")
    try:
        num = int(rest.split(".")[0])
    except ValueError:
        return False, f"DISPLAY={display!r} is not a display name"
    try:
        if host in ("", "unix"):
            path = socket_dir / f"X{num}"
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(2.0)
            s.connect(str(path))
        else:
            s = socket.create_connection((host, 6000 + num), timeout=2.0)
        s.close()
        return True, f"X server {display} accepts connections"
    except OSError as exc:
        return False, f"DISPLAY={display} is set but its X server does not answer " \
                      f"({exc.strerror or exc})"


def check_display(env: Mapping[str, str] | None = None,
                  x11_socket_dir: Path = Path("/tmp/.X11-unix")) -> Verdict:
    """A display server the live window can open on. ``env`` defaults to os.environ."""
    env = os.environ if env is None else env
    fix = ("run formcheck from a desktop session (not over plain ssh), use `ssh -X`, or on a "
           "machine without a screen run it under `xvfb-run -a formcheck live ...`")
    if not sys.platform.startswith("linux"):
        return Verdict("display", "ok", f"{sys.platform}: the window system is always there")
    wayland = env.get("WAYLAND_DISPLAY")
    if wayland:
        runtime = env.get("XDG_RUNTIME_DIR", "")
        sock = Path(wayland) if os.path.isabs(wayland) else Path(runtime) / wayland
        if sock.exists():
            return Verdict("display", "ok", f"Wayland display {wayland} found")
    display = env.get("DISPLAY")
    if not display:
        return Verdict("display", "fail", "no DISPLAY or WAYLAND_DISPLAY: the live window "
                       "cannot open", fix)
    ok, msg = _x11_reachable(display, x11_socket_dir)
    return Verdict("display", "ok" if ok else "fail", msg, "" if ok else fix)


# ---- voice ---------------------------------------------------------------------------------

def check_voice(executable: str = "espeak-ng") -> Verdict:
    """espeak-ng is found and synthesises a test sentence with sound in it."""
    from formcheck.coach.voice import VoiceUnavailable, synthesize_wav, wav_rms

    fix = "install it: `sudo apt-get install espeak-ng` (or run live with --no-voice)"
    with tempfile.TemporaryDirectory(prefix="formcheck-doctor-") as tmp:
        wav = Path(tmp) / "test.wav"
        try:
            synthesize_wav("formcheck voice test", wav, executable=executable)
            rms, samples, rate = wav_rms(wav)
        except VoiceUnavailable as exc:
            return Verdict("voice", "fail", f"{exc}: cues cannot be spoken", fix)
        except Exception as exc:  # a broken install: exit status, timeout, unreadable wav
            return Verdict("voice", "fail", f"{executable} is installed but failed "
                           f"({type(exc).__name__}: {exc})", "reinstall it: "
                           "`sudo apt-get install --reinstall espeak-ng`")
    if samples == 0 or rms < 1e-3:
        return Verdict("voice", "fail", f"{executable} ran but produced silence",
                       "reinstall espeak-ng and its voice data (espeak-ng-data)")
    sound = ("a sound device is present" if _has_sound_output()
             else "but no sound device was found (/dev/snd, PulseAudio, PipeWire)")
    status = "ok" if _has_sound_output() else "warn"
    return Verdict("voice", status, f"{executable} speaks ({samples / rate:.1f} s of audio for "
                   f"a test sentence), {sound}",
                   "connect speakers or headphones and check the volume")


def _has_sound_output() -> bool:
    if os.environ.get("PULSE_SERVER"):
        return True
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and any((Path(runtime) / n).exists() for n in ("pulse/native", "pipewire-0")):
        return True
    snd = Path("/dev/snd")
    return snd.is_dir() and any(p.name.startswith("pcm") for p in snd.iterdir())


# ---- model ---------------------------------------------------------------------------------

def test_frame(width: int = 640, height: int = 480) -> tuple[np.ndarray, str]:
    """A frame to run the model on: from a sample clip with a person when one is found
    (project sample_videos/ or the shared folder), else a plain grey frame."""
    from formcheck.io.assets import shared_root
    from formcheck.io.models import PROJECT_ROOT

    for folder in (PROJECT_ROOT / "sample_videos", shared_root() / "sample_videos"):
        clip = folder / "glute_bridge_01.mp4"
        if clip.is_file():
            try:
                from formcheck.io.video import VideoFileSource

                with VideoFileSource(clip) as src:
                    for frame in src:
                        return frame.rgb, f"a frame of {clip.name}"
            except Exception:
                pass
    return np.full((height, width, 3), 128, np.uint8), "a blank test frame"


def check_model(model: str = "full", model_path: str | None = None, frames: int = 5,
                frame: np.ndarray | None = None) -> Verdict:
    """The model is found (no download), loads, and runs; time per frame after warm-up, with
    the settings a live session uses (tracking the person)."""
    from formcheck.coach.live import live_estimator_options
    from formcheck.io.estimator import PoseEstimator
    from formcheck.io.models import ModelError, find_model

    path = find_model(model, model_path)
    if path is None:
        what = model_path or f"pose_landmarker_{model}.task"
        return Verdict("model", "fail", f"pose model {what} not found",
                       "`formcheck fetch --models` (copies from ../shared or downloads the "
                       "official file), or pass --model-path FILE")
    if frame is None:
        frame, what = test_frame()
    else:
        what = "the given frame"
    try:
        est = PoseEstimator(live_estimator_options(model, str(path), track=True))
        with est:
            est.detect(frame, 0.0)  # first call initialises TFLite: not timed
            t0 = time.perf_counter()
            for i in range(frames):
                det = est.detect(frame, 33.0 * (i + 1))
            ms = (time.perf_counter() - t0) * 1000.0 / frames
    except (ModelError, RuntimeError, ValueError) as exc:
        return Verdict("model", "fail", f"{path.name} does not run: {exc}",
                       "fetch a good copy: `formcheck fetch --models --force`")
    found = "person found" if det.main is not None else "no person in it"
    fps = 1000.0 / ms if ms > 0 else float("inf")
    status, fix = "ok", ""
    if fps < LIVE_MIN_FPS:
        status = "warn"
        fix = ("the live view will lag (or the machine is busy now: run doctor again); "
               "try --model lite")
    return Verdict("model", status, f"{path.name} runs: {ms:.0f} ms per frame (~{fps:.0f} fps) "
                   f"on {what}, {found}", fix)


# ---- disk ----------------------------------------------------------------------------------

def check_disk(folder: str | os.PathLike[str] = ".",
               usage: Callable[[str], tuple[int, int, int]] = shutil.disk_usage) -> Verdict:
    folder = Path(folder).expanduser()
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    free_mb = usage(str(probe))[2] / 1e6
    minutes = free_mb / RECORDING_MB_PER_MIN
    msg = f"{_size(free_mb)} free in {probe.resolve()} (about {_duration(minutes)} of recording)"
    fix = "free some space, or record elsewhere: live --record /other/disk/set.mp4"
    if free_mb < DISK_FAIL_MB:
        return Verdict("disk", "fail", msg, fix)
    if free_mb < DISK_WARN_MB:
        return Verdict("disk", "warn", msg, fix)
    return Verdict("disk", "ok", msg)


def _size(mb: float) -> str:
    return f"{mb / 1000:.1f} GB" if mb >= 1000 else f"{mb:.0f} MB"


def _duration(minutes: float) -> str:
    return f"{minutes / 60:.0f} h" if minutes >= 120 else f"{minutes:.0f} min"


# ---- history -------------------------------------------------------------------------------

def check_history(path: str | os.PathLike[str] | None = None) -> Verdict:
    from formcheck.coach.history import history_path

    p = history_path(path)
    fix = (f"make {p.parent} writable, or choose another file with $FORMCHECK_HISTORY or "
           "--history FILE")
    if p.exists():
        if p.is_dir():
            return Verdict("history", "fail", f"{p} is a folder, not a file", fix)
        if os.access(p, os.W_OK):
            n = sum(1 for line in p.open(encoding="utf-8", errors="replace") if line.strip())
            return Verdict("history", "ok", f"{p} is writable ({n} session(s) recorded)")
        return Verdict("history", "fail", f"{p} is not writable", fix)
    # the file is created on the first session: the nearest existing folder must allow it
    probe = p.parent
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if probe.is_dir() and os.access(probe, os.W_OK | os.X_OK):
        return Verdict("history", "ok", f"{p} will be created on the first session")
    why = "is a file" if probe.exists() and not probe.is_dir() else "is not writable"
    return Verdict("history", "fail", f"{p} cannot be created: {probe} {why}", fix)


# ---- all -----------------------------------------------------------------------------------

def run_checks(args: argparse.Namespace) -> Iterator[Verdict]:
    """The verdicts, one as each check finishes."""
    skip = set(args.skip or ())
    for name in CHECKS:
        if name in skip:
            yield Verdict(name, "skip", "skipped (--skip)")
            continue
        if name == "camera":
            v = check_camera(str(args.camera))
        elif name == "display":
            v = check_display()
        elif name == "voice":
            v = check_voice()
        elif name == "model":
            v = check_model(args.model, args.model_path)
        elif name == "disk":
            v = check_disk(args.record_dir)
        else:
            v = check_history(args.history)
        yield v


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    d = sub.add_parser(
        "doctor", help="check camera, display, voice, model, disk and history",
        description="Check what a live session needs: the camera delivers frames, a display "
        "for the window, the voice speaks, the pose model runs (time per frame), free disk "
        "for recordings, the history file is writable. One line per check, with a fix. "
        "Exit status 1 when a check fails (leave one out with --skip).")
    d.add_argument("--camera", default="0", metavar="INDEX|FILE",
                   help="camera index to test (default 0), or a video file")
    d.add_argument("--model", choices=["lite", "full", "heavy"], default="full",
                   help="pose model variant to test (default: full)")
    d.add_argument("--model-path", metavar="FILE", help="explicit pose_landmarker .task file")
    d.add_argument("--history", metavar="FILE", help="history file (default: "
                   "$FORMCHECK_HISTORY or $XDG_DATA_HOME/formcheck/history.jsonl)")
    d.add_argument("--record-dir", default=".", metavar="DIR",
                   help="where recordings go, for the free-space check (default: here)")
    d.add_argument("--skip", action="append", choices=CHECKS, metavar="CHECK",
                   help="leave out a check you do not need (repeatable): " + ", ".join(CHECKS))


def main_doctor(args: argparse.Namespace) -> int:
    print("formcheck doctor")
    verdicts = []
    for v in run_checks(args):
        verdicts.append(v)
        print("\n".join(v.lines()), flush=True)
    failed = [v.check for v in verdicts if v.status == "fail"]
    if failed:
        print(f"{len(failed)} check(s) failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    print("everything checked works")
    return 0
