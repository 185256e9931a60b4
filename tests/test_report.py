"""HTML reports: self-contained, escaped, with plots, tables and worst-frame thumbnails.

The last tests open the reports in real headless Chromium (Debian package ``chromium``).
"""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from formcheck.analysis.pipeline import Analysis
from formcheck.core.results import ExerciseResult, FaultSpan, FrameFeedback, Hold, Rep
from formcheck.render.report import batch_report_html, write_batch_report, write_clip_report

FPS = 10.0
EVIL = '<script>alert("x")</script>'


def colour_at(t_s: float) -> tuple[int, int, int]:
    """The synthetic clip's frame colour at time t (changes every second)."""
    k = int(t_s)
    return ((40 * k) % 256, 255 - (40 * k) % 256, 128)


@pytest.fixture
def clip(tmp_path) -> Path:
    from formcheck.io.video import VideoWriter

    path = tmp_path / "synthetic.mp4"
    with VideoWriter(path, FPS, (160, 96), crf=10) as w:
        for i in range(int(6 * FPS)):
            w.write(np.full((96, 160, 3), colour_at(i / FPS), np.uint8))
    return path


def synthetic_analysis(source: str = "synthetic.mp4") -> Analysis:
    frames = []
    for i in range(int(6 * FPS)):
        t = i / FPS
        frames.append(FrameFeedback(t_s=t, pose_found=True,
                                    signals={"hips_sagging": 10 * np.sin(t), "knee_deg": 90 + t}))
    res = ExerciseResult(
        exercise="plank", duration_s=5.9, frames=60, frames_with_pose=60,
        reps=[Rep(1, 0.5, 2.5, peak_s=1.5, hold_s=2.0, good=False, faults=["hips_sagging"])],
        holds=[Hold(0.5, 2.5, 1.2)],
        faults=[FaultSpan("hips_sagging", 1.0, 2.0, "Lift your hips", worst_s=1.55, worst_value=9.9),
                FaultSpan("head_dropped", 3.0, 4.5, "Keep your head up", worst_s=4.2, worst_value=31.0)],
        notes=[f"note with {EVIL}"],
    )
    return Analysis(res, frames, source, FPS, (160, 96))


class Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def parse(html: str) -> Collector:
    c = Collector()
    c.feed(html)
    return c


def test_clip_report_is_self_contained_with_plots_tables_and_thumbnails(tmp_path, clip):
    analysis = synthetic_analysis(f"{EVIL}.mp4")
    out = write_clip_report(tmp_path / "r.html", analysis, video=clip)
    html = out.read_text()
    page = parse(html)
    imgs = [a for t, a in page.tags if t == "img"]
    # fault timeline + 2 signal plots + 2 thumbnails
    assert len(imgs) == 5
    for a in imgs:
        assert a["src"].startswith("data:image/png;base64,")
        assert base64.b64decode(a["src"].split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    # nothing is fetched from elsewhere
    for t, a in page.tags:
        for k in ("src", "href"):
            assert not re.match(r"^(https?:|//|file:)", a.get(k) or ""), (t, a)
    assert not any(t in ("script", "link") for t, _ in page.tags)
    # text from the clip is escaped, not markup
    assert EVIL not in html and "&lt;script&gt;" in html
    text = " ".join(page.text)
    assert "hips_sagging" in text and "head_dropped" in text and "Lift your hips" in text
    assert sum(1 for t, _ in page.tags if t == "table") >= 4  # summary, faults, reps, holds


def test_pain_stop_is_shown_first(tmp_path):
    from formcheck.render.report import clip_report_html

    a = synthetic_analysis()
    a.result.pain_stops = [3.25]
    html = clip_report_html(a)
    assert "signalled at 3.2 s" in html and "check with your physician" in html
    assert "pain stop" not in clip_report_html(synthetic_analysis())


def test_thumbnail_is_the_worst_frame(tmp_path, clip):
    import cv2

    html = write_clip_report(tmp_path / "r.html", synthetic_analysis(), video=clip).read_text()
    thumbs = [a for t, a in parse(html).tags if t == "img" and a.get("class") == "thumb"]
    assert [a["alt"] for a in thumbs] == ["frame at 1.55 s (hips_sagging)",
                                         "frame at 4.20 s (head_dropped)"]
    for a, t in zip(thumbs, (1.55, 4.2)):
        png = base64.b64decode(a["src"].split(",", 1)[1])
        bgr = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
        mean_rgb = bgr[..., ::-1].reshape(-1, 3).mean(0)
        assert np.abs(mean_rgb - colour_at(t)).max() < 12, (t, mean_rgb)


def test_report_is_deterministic_and_sets_no_global_matplotlib_backend(tmp_path, clip):
    import matplotlib

    before = matplotlib.get_backend() if "matplotlib.pyplot" in __import__("sys").modules else None
    a = write_clip_report(tmp_path / "a.html", synthetic_analysis(), video=clip).read_bytes()
    b = write_clip_report(tmp_path / "b.html", synthetic_analysis(), video=clip).read_bytes()
    assert a == b
    if before is not None:
        assert matplotlib.get_backend() == before


def test_batch_report_ranks_clips_and_escapes_errors():
    rows = [
        {"clip": "b", "exercise": "plank", "status": "ok", "form_score": 55.0, "reps": 0,
         "good_reps": 0, "hold_s": 3.0, "hold_good_s": 1.0, "fault_ids": "hips_sagging",
         "faults": {"hips_sagging": 2.0}, "error": ""},
        {"clip": "a", "exercise": "plank", "status": "ok", "form_score": 90.0, "reps": 0,
         "good_reps": 0, "hold_s": 3.0, "hold_good_s": 3.0, "fault_ids": "", "faults": {},
         "error": ""},
        {"clip": "z", "exercise": "", "status": "error", "form_score": None, "reps": None,
         "good_reps": None, "hold_s": None, "hold_good_s": None, "fault_ids": "", "faults": {},
         "error": f"VideoError: {EVIL}"},
    ]
    html = batch_report_html(rows)
    assert EVIL not in html
    body = html[html.index("<tbody>"):]
    assert body.index(">a<") < body.index(">b<") < body.index(">z<")
    assert html.count("<img") == 2


# ---- real browser --------------------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed "
                                    "(Debian package chromium, see .ci/apt-packages.txt)")


def chromium(tmp_path: Path, url: str, *args: str) -> subprocess.CompletedProcess:
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
           "--no-first-run", "--disable-background-networking", "--disable-component-update",
           "--disable-sync", f"--user-data-dir={tmp_path / 'chrome-profile'}",
           "--hide-scrollbars", *args, url]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=tmp_path)


@needs_chromium
def test_chromium_renders_plots_and_tables(tmp_path, clip):
    report = write_clip_report(tmp_path / "report.html", synthetic_analysis(), video=clip)
    url = report.resolve().as_uri()
    dom = chromium(tmp_path, url, "--dump-dom").stdout
    assert dom.count("<table") >= 4 and dom.count("<img") == 5
    assert "hips_sagging" in dom and "Keep your head up" in dom

    shot = tmp_path / "shot.png"
    chromium(tmp_path, url, f"--screenshot={shot}", "--window-size=1200,2600")
    assert shot.exists(), "chromium wrote no screenshot"
    import cv2

    img = cv2.imread(str(shot))[..., ::-1].reshape(-1, 3).astype(int)
    # the signal line (matplotlib blue #1f77b4) and the shaded fault span are on screen:
    # the plots were decoded and drawn, not just present in the DOM
    blue = np.all(np.abs(img - (0x1F, 0x77, 0xB4)) <= 12, axis=1).sum()
    assert blue > 500, blue
    # the thumbnails' flat colours are drawn too
    thumb = np.all(np.abs(img - colour_at(1.55)) <= 10, axis=1).sum()
    assert thumb > 2000, thumb
    keep = __import__("os").environ.get("FORMCHECK_REPORT_SCREENSHOT")
    if keep:  # for a person to look at
        shutil.copyfile(shot, keep)


@needs_chromium
def test_chromium_renders_batch_report(tmp_path):
    rows = [{"clip": f"c{i}", "exercise": "plank", "status": "ok", "form_score": 10.0 * i,
             "reps": i, "good_reps": i, "hold_s": 1.0, "hold_good_s": 1.0,
             "fault_ids": "hips_sagging", "faults": {"hips_sagging": float(i)}, "error": ""}
            for i in range(1, 6)]
    report = write_batch_report(tmp_path / "report.html", rows)
    dom = chromium(tmp_path, report.resolve().as_uri(), "--dump-dom").stdout
    assert dom.count("<tr>") == 6 and dom.count("<img") == 2


def test_signal_plot_draws_thresholds_and_shades_faults():
    import cv2

    from formcheck.render.report import signal_plots

    a = synthetic_analysis()
    faults = [{"check": "hips_sagging", "start_s": 1.0, "end_s": 2.0}]
    with_th = dict(signal_plots(a.frames, faults, {"hips_sagging": [(5.0, "sag limit")]}))
    without = dict(signal_plots(a.frames, [], {}))

    def count(png, rgb, tol):
        img = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)[..., ::-1]
        return int(np.all(np.abs(img.astype(int) - rgb) <= tol, axis=-1).sum())

    # threshold line colour (#ff7f0e) only where a threshold was given
    assert count(with_th["hips_sagging"], (0xFF, 0x7F, 0x0E), 30) > 100
    assert count(without["hips_sagging"], (0xFF, 0x7F, 0x0E), 30) == 0
    # shaded span: red at alpha 0.18 over white
    assert count(with_th["hips_sagging"], (246, 215, 215), 6) > 1000
    assert count(without["hips_sagging"], (246, 215, 215), 6) == 0


def test_analyze_report_flag_on_a_real_clip(samples, tmp_path):
    """``formcheck analyze --report`` writes a report of the real analysis of a clip."""
    from formcheck.cli import main

    clip = samples / "knee_to_chest_01.mp4"
    report, doc = tmp_path / "r.html", tmp_path / "r.json"
    rc = main(["analyze", str(clip), "-e", "knee_to_chest", "--report", str(report),
               "--json", str(doc), "-q"])
    assert rc == 0
    html = report.read_text()
    d = __import__("json").loads(doc.read_text())
    assert "knee_to_chest_01.mp4" in html and "Single Knee-to-Chest" in html
    plots = [a for t, a in parse(html).tags if t == "img" and a["alt"].startswith("signal ")]
    assert plots, "no signal plots"
    thumbs = [a for t, a in parse(html).tags if t == "img" and a.get("class") == "thumb"]
    assert len(thumbs) == sum(1 for f in d["faults"] if f.get("worst_s") is not None)
    for f in d["faults"]:
        assert f["check"] in html


def test_analyze_report_to_a_folder_is_a_clear_error(samples, tmp_path, capsys):
    from formcheck.cli import main

    rc = main(["analyze", str(samples / "knee_to_chest_01.mp4"), "-e", "knee_to_chest",
               "--report", str(tmp_path), "-q"])
    assert rc == 2
    err = capsys.readouterr().err
    assert "--report" in err and "is a folder" in err
    assert list(tmp_path.iterdir()) == []  # checked before the analysis: nothing written
