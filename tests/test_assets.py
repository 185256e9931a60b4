"""`formcheck fetch`: manifests, copying from ../shared with SHA-256 checks, downloads (loopback only)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from formcheck.io import assets
from formcheck.io.assets import Asset, AssetError, fetch, read_manifest, write_manifest
from formcheck.io.files import file_sha256
from tests.conftest import ROOT, SHARED
from tests.netfixtures import LoopbackServer, make_bundle, refused_url


def sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def project(tmp_path: Path, folder: str, files: dict[str, bytes], urls: dict[str, str] | None = None,
            convert: dict[str, str] | None = None) -> Path:
    """A project root with ``folder/MANIFEST.tsv`` listing ``files``."""
    root = tmp_path / "proj"
    (root / folder).mkdir(parents=True)
    rows = [Asset(name, len(b), sha(b), (urls or {}).get(name, ""), "",
                  (convert or {}).get(name, ""), "test", "none") for name, b in files.items()]
    write_manifest(root / folder / "MANIFEST.tsv", rows, comment="test manifest")
    return root


def shared_with(tmp_path: Path, folder: str, files: dict[str, bytes]) -> Path:
    sh = tmp_path / "shared"
    (sh / folder).mkdir(parents=True)
    for name, b in files.items():
        (sh / folder / name).write_bytes(b)
    return sh


# ---- the real manifests --------------------------------------------------------------------

@pytest.mark.parametrize("folder", ["models", "sample_videos"])
def test_repo_manifest_matches_the_shared_files(folder):
    rows = read_manifest(ROOT / folder / "MANIFEST.tsv")
    src = SHARED / folder
    if not src.is_dir():
        pytest.skip(f"{src} not here")
    assert rows, "empty manifest"
    on_disk = {p.name for p in src.iterdir() if p.suffix in (".task", ".mp4")}
    assert {r.file for r in rows} == on_disk
    for r in rows:
        f = src / r.file
        assert f.stat().st_size == r.bytes, r.file
        assert file_sha256(f) == r.sha256, r.file
        assert r.url.startswith("https://"), r.file
        if r.url.lower().endswith(".gif"):
            assert r.convert == "gif->mp4", r.file


def test_manifest_round_trip_and_bad_header(tmp_path):
    rows = [Asset("a.mp4", 3, "ab" * 32, "https://x/a.gif", "", "gif->mp4", "repo/a.gif", "MIT")]
    write_manifest(tmp_path / "M.tsv", rows, comment="two\nlines")
    assert read_manifest(tmp_path / "M.tsv") == rows
    (tmp_path / "bad.tsv").write_text("name\tsize\nx\t1\n")
    with pytest.raises(AssetError, match="header"):
        read_manifest(tmp_path / "bad.tsv")
    with pytest.raises(AssetError, match="no manifest"):
        read_manifest(tmp_path / "none.tsv")


# ---- copy from shared ----------------------------------------------------------------------

def test_fetch_copies_from_shared_then_leaves_files_alone(tmp_path):
    files = {"pose_landmarker_lite.task": make_bundle(), "pose_landmarker_full.task": make_bundle(size=99)}
    root = project(tmp_path, "models", files)
    sh = shared_with(tmp_path, "models", files)
    reports = fetch("models", root=root, shared=sh, download=False)
    assert [r.how for r in reports] == ["copied", "copied"]
    for name, b in files.items():
        assert (root / "models" / name).read_bytes() == b
    again = fetch("models", root=root, shared=sh, download=False)
    assert [r.how for r in again] == ["present", "present"]


def test_fetch_refuses_a_shared_copy_with_the_wrong_hash(tmp_path):
    root = project(tmp_path, "sample_videos", {"clip.mp4": b"the labelled bytes"})
    sh = shared_with(tmp_path, "sample_videos", {"clip.mp4": b"some other bytes"})
    (r,) = fetch("sample_videos", root=root, shared=sh, download=False)
    assert r.how == "failed" and "SHA-256" in r.detail
    assert sorted(p.name for p in (root / "sample_videos").iterdir()) == ["MANIFEST.tsv"]


def test_fetch_replaces_a_damaged_local_copy_from_shared(tmp_path):
    good = b"good clip bytes"
    root = project(tmp_path, "sample_videos", {"clip.mp4": good})
    (root / "sample_videos" / "clip.mp4").write_bytes(good[:5])  # e.g. an interrupted copy
    sh = shared_with(tmp_path, "sample_videos", {"clip.mp4": good})
    (r,) = fetch("sample_videos", root=root, shared=sh, download=False)
    assert r.how == "copied"
    assert (root / "sample_videos" / "clip.mp4").read_bytes() == good


def test_fetch_without_shared_and_without_download_fails_clearly(tmp_path):
    root = project(tmp_path, "models", {"pose_landmarker_lite.task": make_bundle()})
    (r,) = fetch("models", root=root, shared=tmp_path / "nowhere", download=False)
    assert r.how == "failed" and "downloads are off" in r.detail


# ---- download (loopback) -------------------------------------------------------------------

def test_fetch_downloads_a_model_when_no_shared_copy(tmp_path):
    official = make_bundle(size=123)  # the official bytes differ from the workspace build
    workspace = make_bundle(size=321)
    with LoopbackServer() as srv:
        srv.routes["/lite.task"] = official
        root = project(tmp_path, "models", {"pose_landmarker_lite.task": workspace},
                       urls={"pose_landmarker_lite.task": srv.url("/lite.task")})
        (r,) = fetch("models", root=root, shared=tmp_path / "nowhere", progress=False)
        assert r.how == "downloaded" and "differs from the manifest" in r.detail
        assert (root / "models" / "pose_landmarker_lite.task").read_bytes() == official
        # kept on the next run, not downloaded again
        (r2,) = fetch("models", root=root, shared=tmp_path / "nowhere", progress=False)
        assert r2.how == "present" and len(srv.requests) == 1


def test_fetch_download_of_a_non_bundle_model_fails(tmp_path):
    with LoopbackServer() as srv:
        srv.routes["/lite.task"] = b"<html>not a model</html>"
        root = project(tmp_path, "models", {"pose_landmarker_lite.task": make_bundle()},
                       urls={"pose_landmarker_lite.task": srv.url("/lite.task")})
        (r,) = fetch("models", root=root, shared=tmp_path / "nowhere", progress=False)
    assert r.how == "failed" and "not a valid .task bundle" in r.detail
    assert not (root / "models" / "pose_landmarker_lite.task").exists()


def test_fetch_unreachable_source_fails_with_one_line(tmp_path):
    root = project(tmp_path, "sample_videos", {"clip.mp4": b"x"},
                   urls={"clip.mp4": refused_url("/clip.mp4")})
    (r,) = fetch("sample_videos", root=root, shared=tmp_path / "nowhere", progress=False)
    assert r.how == "failed" and "network unreachable" in r.detail and "\n" not in r.detail


def _gif_bytes(tmp_path: Path, durations_ms: list[int], size=(41, 30)) -> bytes:
    from PIL import Image

    frames = [Image.new("RGB", size, (40 * i, 200 - 40 * i, 90)) for i in range(len(durations_ms))]
    p = tmp_path / "src.gif"
    frames[0].save(p, save_all=True, append_images=frames[1:], duration=durations_ms, loop=0)
    return p.read_bytes()


def test_fetch_converts_a_gif_source_keeping_its_frame_times(tmp_path):
    from formcheck.io.video import VideoFileSource

    gif = _gif_bytes(tmp_path, [100, 300, 200, 200])
    with LoopbackServer() as srv:
        srv.routes["/a.gif"] = gif
        root = project(tmp_path, "sample_videos", {"clip.mp4": b"labelled copy"},
                       urls={"clip.mp4": srv.url("/a.gif")}, convert={"clip.mp4": "gif->mp4"})
        (r,) = fetch("sample_videos", root=root, shared=tmp_path / "nowhere", progress=False)
    assert r.how == "downloaded" and "converted from GIF" in r.detail
    out = root / "sample_videos" / "clip.mp4"
    with VideoFileSource(out) as src:
        frames = list(src)
        assert (src.info.width, src.info.height) == (42, 30)  # odd width padded to even
    assert [round(f.timestamp_ms) for f in frames] == [0, 100, 400, 600]
    # the first frame's colour survived the conversion (within H.264 error)
    assert abs(int(frames[0].rgb[15, 20, 1]) - 200) < 12
    assert sorted(p.name for p in out.parent.iterdir()) == ["MANIFEST.tsv", "clip.mp4"]


# ---- CLI -----------------------------------------------------------------------------------

def test_fetch_command_copies_and_reports(tmp_path, monkeypatch, capsys):
    from formcheck.cli import main

    files = {"pose_landmarker_full.task": make_bundle()}
    root = project(tmp_path, "models", files)
    sh = shared_with(tmp_path, "models", files)
    monkeypatch.setattr(assets, "PROJECT_ROOT", root)
    assert main(["fetch", "--models", "--shared", str(sh), "--no-download"]) == 0
    assert "pose_landmarker_full.task" in capsys.readouterr().out
    assert (root / "models" / "pose_landmarker_full.task").is_file()


def test_fetch_command_failure_exit_status(tmp_path, monkeypatch, capsys):
    from formcheck.cli import main

    root = project(tmp_path, "sample_videos", {"clip.mp4": b"x"})
    monkeypatch.setattr(assets, "PROJECT_ROOT", root)
    (tmp_path / "empty").mkdir()  # a shared folder without the clip (a missing one: usage error)
    assert main(["fetch", "--samples", "--shared", str(tmp_path / "empty"), "--no-download"]) == 1
    err = capsys.readouterr().err
    assert "clip.mp4" in err and "Traceback" not in err


@pytest.mark.clips
def test_gif_conversion_reproduces_a_labelled_clips_timing(samples, tmp_path):
    """cat_cow_01 was converted from a GIF whose frames show for 0.5 s, one for 1.0 s: a GIF
    rebuilt from it and converted again gives the same frame times (labels stay aligned)."""
    from PIL import Image

    from formcheck.io.assets import gif_to_mp4
    from formcheck.io.video import VideoFileSource

    with VideoFileSource(samples / "cat_cow_01.mp4") as src:
        frames = list(src)
    t = [round(f.timestamp_ms) for f in frames]
    durations = [b - a for a, b in zip(t, t[1:])] + [500]
    imgs = [Image.fromarray(f.rgb) for f in frames]
    gif = tmp_path / "cat_cow.gif"
    imgs[0].save(gif, save_all=True, append_images=imgs[1:], duration=durations, loop=0)
    out = tmp_path / "cat_cow_01.mp4"
    assert gif_to_mp4(gif, out) == len(frames)
    with VideoFileSource(out) as src:
        again = [round(f.timestamp_ms) for f in src]
    assert again == t


def test_a_clip_that_needs_a_manual_step_is_not_downloaded(tmp_path):
    """A cut or cropped labelled clip cannot be rebuilt from its source URL: fetch says so."""
    root = project(tmp_path, "sample_videos", {"cut.mp4": b"abc"},
                   urls={"cut.mp4": "https://example.invalid/cut.mp4"},
                   convert={"cut.mp4": "cut 21.02-37.3 s"})
    reports = fetch("sample_videos", root=root, shared=tmp_path / "none", download=True,
                    progress=False)
    assert [r.how for r in reports] == ["failed"]
    assert "not reproducible by a download (cut 21.02-37.3 s)" in reports[0].detail
    assert not (root / "sample_videos" / "cut.mp4").exists()
