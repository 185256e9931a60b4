"""Frame sources and the annotated-video sink: timestamps, atomic writes, early close, errors."""

from __future__ import annotations

import os
import threading
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from formcheck.io.video import VideoError, VideoFileSource, VideoWriter


def gradient(i: int, w: int = 96, h: int = 64) -> np.ndarray:
    img = np.zeros((h, w, 3), np.uint8)
    img[..., 0] = (i * 20) % 256
    img[..., 1] = np.linspace(0, 255, w, dtype=np.uint8)[None, :]
    return img


def write(path: Path, n: int, fps: float, size=(96, 64)) -> Path:
    with VideoWriter(path, fps, size) as w:
        for i in range(n):
            w.write(gradient(i, *size))
    return path


def test_round_trip_keeps_frames_and_exact_fractional_timestamps(tmp_path):
    # 29.97 fps: timestamps must not drift as they would with an int-truncated 29 fps
    f = write(tmp_path / "a.mp4", 90, 30000 / 1001)
    with VideoFileSource(f) as src:
        frames = list(src)
        assert src.info.fps == pytest.approx(29.97, abs=0.01)
        assert src.info.frame_count == 90
    assert len(frames) == 90
    assert [fr.index for fr in frames] == list(range(90))
    t = np.array([fr.timestamp_ms for fr in frames])
    assert (np.diff(t) > 0).all()
    assert t[-1] == pytest.approx(89 * 1001 / 30, abs=1.0)  # 2969.6 ms, not 89/29 s = 3069
    assert frames[5].rgb.shape == (64, 96, 3) and frames[5].rgb.dtype == np.uint8
    # colours survive (RGB order, within H.264 error)
    assert abs(int(frames[5].rgb[30, 90, 1]) - 250) < 12


def test_writer_is_atomic_and_abort_leaves_nothing(tmp_path):
    target = tmp_path / "out" / "v.mp4"
    w = VideoWriter(target, 30, (96, 64))
    w.write(gradient(0))
    assert not target.exists()  # nothing under the final name while writing
    w.abort()
    assert not target.exists() and list(target.parent.iterdir()) == []

    with pytest.raises(RuntimeError), VideoWriter(target, 30, (96, 64)) as w:
        w.write(gradient(0))
        raise RuntimeError("analysis failed half way")
    assert list(target.parent.iterdir()) == []


def test_writer_with_no_frames_is_an_error_and_leaves_nothing(tmp_path):
    with pytest.raises(VideoError, match="no frames"):
        VideoWriter(tmp_path / "v.mp4", 30, (96, 64)).close()
    assert list(tmp_path.iterdir()) == []


def test_writer_odd_size_is_cropped_to_even_h264(tmp_path):
    f = tmp_path / "odd.mp4"
    with VideoWriter(f, 25, (97, 65)) as w:
        w.write(np.zeros((65, 97, 3), np.uint8))
    with av.open(str(f)) as c:
        s = c.streams.video[0]
        assert (s.codec_context.width, s.codec_context.height) == (96, 64)
        assert s.codec_context.name == "h264"


def test_writer_into_an_impossible_place_is_a_video_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(VideoError, match="cannot write"):
        VideoWriter(blocker / "v.mp4", 30, (96, 64))


def test_leaving_early_stops_the_reader_thread(tmp_path):
    f = write(tmp_path / "long.mp4", 200, 30)
    before = threading.active_count()
    t0 = time.monotonic()
    with VideoFileSource(f, queue_size=2) as src:
        for fr in src:
            if fr.index == 3:
                break
    assert time.monotonic() - t0 < 5
    assert threading.active_count() == before


def test_iterating_outside_with_is_an_error(tmp_path):
    f = write(tmp_path / "a.mp4", 3, 30)
    src = VideoFileSource(f)
    try:
        with pytest.raises(RuntimeError, match="with"):
            next(iter(src))
    finally:
        src.close()


def test_file_that_ends_before_its_header_says_is_cut_short(tmp_path):
    """A clip whose data stops early (header lists 60 frames, 20 decodable) is an error,
    not a shorter analysis that looks complete."""
    f = write(tmp_path / "a.mp4", 60, 30)
    with av.open(str(f)) as c:
        listed = c.streams.video[0].frames
    assert listed == 60
    src = VideoFileSource(f)

    class StopsEarly:
        """The container yields only a third of its frames, then ends without an error."""

        def __init__(self, real):
            self.real = real

        def decode(self, stream):
            for i, fr in enumerate(self.real.decode(stream)):
                if i == 20:
                    return
                yield fr

        def close(self):
            self.real.close()

    src._container = StopsEarly(src._container)
    with pytest.raises(VideoError, match="cut short.*20 of the 60"), src:
        for _ in src:
            pass


def test_variable_frame_rate_timestamps_come_from_the_stream(tmp_path):
    f = tmp_path / "vfr.mp4"
    with av.open(str(f), mode="w") as c:
        s = c.add_stream("libx264", rate=Fraction(100, 1))
        s.width, s.height, s.pix_fmt = 64, 64, "yuv420p"
        s.codec_context.time_base = Fraction(1, 1000)
        for pts in (0, 100, 400, 500):  # a GIF-like pause between the 2nd and 3rd frame
            vf = av.VideoFrame.from_ndarray(gradient(pts, 64, 64), format="rgb24")
            vf.pts, vf.time_base = pts, Fraction(1, 1000)
            for p in s.encode(vf):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    with VideoFileSource(f) as src:
        t = [round(fr.timestamp_ms) for fr in src]
    assert t == [0, 100, 400, 500]


# ---- the annotated-video sink of pipeline.analyze_video (drawing + encoding thread) --------

def test_sink_writes_every_frame_in_order(tmp_path):
    from formcheck.core.results import FrameFeedback
    from formcheck.render.annotated_video import AnnotatedVideoSink

    out = tmp_path / "ann.mp4"
    sink = AnnotatedVideoSink(out, 30.0, "Test", queue_size=2)
    for i in range(40):
        sink.put(gradient(i), None, FrameFeedback(t_s=i / 30.0, pose_found=False))
    sink.close()
    with VideoFileSource(out) as src:
        frames = list(src)
    assert len(frames) == 40
    # frame order kept: the red channel ramps with i (below the status panel)
    reds = [int(fr.rgb[60, 90, 0]) for fr in frames[:10]]
    assert reds == sorted(reds) and reds[-1] - reds[0] > 100


def test_sink_error_reaches_the_caller_and_leaves_nothing(tmp_path):
    from formcheck.core.results import FrameFeedback
    from formcheck.render.annotated_video import AnnotatedVideoSink

    blocker = tmp_path / "file"
    blocker.write_text("x")
    sink = AnnotatedVideoSink(blocker / "ann.mp4", 30.0, "Test")
    with pytest.raises(VideoError, match="cannot write"):
        for i in range(100):
            sink.put(gradient(i), None, FrameFeedback(t_s=i / 30.0, pose_found=False))
        sink.close()
    sink.abort()


def test_sink_abort_removes_the_partial_file(tmp_path):
    from formcheck.core.results import FrameFeedback
    from formcheck.render.annotated_video import AnnotatedVideoSink

    sink = AnnotatedVideoSink(tmp_path / "ann.mp4", 30.0, "Test")
    for i in range(10):
        sink.put(gradient(i), None, FrameFeedback(t_s=i / 30.0, pose_found=False))
    sink.abort()
    assert list(tmp_path.iterdir()) == []


def test_finished_video_is_readable_by_others_like_any_new_file(tmp_path):
    f = write(tmp_path / "a.mp4", 2, 30)
    umask = os.umask(0)
    os.umask(umask)
    assert f.stat().st_mode & 0o777 == 0o666 & ~umask


def test_queues_hold_fewer_frames_of_a_large_video():
    from formcheck.io.video import frames_within_budget

    assert frames_within_budget(1280, 720) == 8
    assert frames_within_budget(1920, 1080) == 5
    assert frames_within_budget(3840, 2160) == 2  # 4K: 50 MB waiting, not 200 MB
    assert frames_within_budget(320, 240) == 8
