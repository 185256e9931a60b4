"""Finding and downloading the pose model. Downloads go to a loopback server only."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from formcheck.io import models
from formcheck.io.model_download import check_bundle, download_model, resolve_model
from formcheck.io.models import ModelError, find_model
from tests.netfixtures import LoopbackServer, make_bundle, refused_url


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """No model anywhere: project folder, ../shared and the user cache all point into tmp."""
    monkeypatch.setattr(models, "PROJECT_ROOT", tmp_path / "proj")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("FORMCHECK_MODEL_DIR", raising=False)
    return tmp_path


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# ---- download ----------------------------------------------------------------------------

def test_download_success_writes_bundle_and_sha256_atomically(tmp_path):
    body = make_bundle()
    dest = tmp_path / "m" / "pose_landmarker_full.task"
    notices = []
    with LoopbackServer() as srv:
        srv.routes["/full.task"] = body
        out = download_model("full", url=srv.url("/full.task"), dest=dest,
                             sha256=hashlib.sha256(body).hexdigest(), log=notices.append)
    assert out == dest
    assert dest.read_bytes() == body
    digest = hashlib.sha256(body).hexdigest()
    assert (dest.parent / "pose_landmarker_full.task.sha256").read_text().split() == [
        digest, "pose_landmarker_full.task"]
    # only the file and its checksum: no temporary file left
    assert leftovers(dest.parent) == ["pose_landmarker_full.task", "pose_landmarker_full.task.sha256"]
    assert len(notices) == 1 and "downloading pose_landmarker_full.task" in notices[0]


def test_download_without_expected_hash_checks_the_bundle(tmp_path):
    body = make_bundle()
    with LoopbackServer() as srv:
        srv.routes["/lite.task"] = body
        out = download_model("lite", url=srv.url("/lite.task"), dest=tmp_path / "x.task",
                             log=lambda m: None)
    assert out.read_bytes() == body


def test_download_404_is_one_line_error_and_keeps_nothing(tmp_path):
    with LoopbackServer() as srv, pytest.raises(ModelError, match="HTTP 404") as ei:
        download_model("full", url=srv.url("/missing.task"), dest=tmp_path / "a.task",
                       log=lambda m: None)
    assert "\n" not in str(ei.value)
    assert leftovers(tmp_path) == []


def test_download_connection_refused_says_network_unreachable(tmp_path):
    with pytest.raises(ModelError, match="network unreachable") as ei:
        download_model("full", url=refused_url(), dest=tmp_path / "a.task", log=lambda m: None)
    assert "\n" not in str(ei.value)
    assert leftovers(tmp_path) == []


def test_download_sha_mismatch_fails_and_keeps_nothing(tmp_path):
    body = make_bundle()
    with LoopbackServer() as srv:
        srv.routes["/full.task"] = body
        with pytest.raises(ModelError, match="SHA-256"):
            download_model("full", url=srv.url("/full.task"), dest=tmp_path / "a.task",
                           sha256="0" * 64, log=lambda m: None)
    assert leftovers(tmp_path) == []


def test_download_truncated_body_fails_and_keeps_nothing(tmp_path):
    body = make_bundle(size=50_000)
    with LoopbackServer() as srv:
        srv.routes["/full.task"] = body
        srv.truncate["/full.task"] = len(body) // 2
        with pytest.raises(ModelError, match="truncated|connection broke"):
            download_model("full", url=srv.url("/full.task"), dest=tmp_path / "a.task",
                           log=lambda m: None)
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("body, why", [
    (b"<html>captive portal</html>", "not a valid .task bundle"),
    (make_bundle(members=("something_else.tflite",)), "missing pose_detector.tflite"),
])
def test_download_of_something_that_is_not_a_bundle_fails(tmp_path, body, why):
    with LoopbackServer() as srv:
        srv.routes["/full.task"] = body
        with pytest.raises(ModelError, match=why):
            download_model("full", url=srv.url("/full.task"), dest=tmp_path / "a.task",
                           log=lambda m: None)
    assert leftovers(tmp_path) == []


def test_existing_model_is_not_replaced_by_a_failed_download(tmp_path):
    dest = tmp_path / "pose_landmarker_full.task"
    dest.write_bytes(make_bundle())
    before = dest.read_bytes()
    with pytest.raises(ModelError):
        download_model("full", url=refused_url(), dest=dest, log=lambda m: None)
    assert dest.read_bytes() == before


def test_check_bundle_accepts_the_shared_models():
    shared = Path(__file__).resolve().parents[1].parent / "shared" / "models"
    files = sorted(shared.glob("pose_landmarker_*.task"))
    if not files:
        pytest.skip("no shared models here")
    for f in files:
        check_bundle(f)


# ---- lookup ------------------------------------------------------------------------------

def test_resolve_prefers_explicit_path_and_reports_a_missing_one(isolated):
    f = isolated / "mine.task"
    f.write_bytes(make_bundle())
    assert resolve_model("full", model_path=f) == f
    with pytest.raises(ModelError, match="not found"):
        resolve_model("full", model_path=isolated / "nope.task")


def test_search_order_env_dir_before_project_and_cache(isolated, monkeypatch):
    env = isolated / "envdir"
    proj = isolated / "proj" / "models"
    cache = models.cache_dir()
    for d in (env, proj, cache):
        d.mkdir(parents=True)
        (d / "pose_landmarker_lite.task").write_bytes(make_bundle())
    assert find_model("lite") == proj / "pose_landmarker_lite.task"
    monkeypatch.setenv("FORMCHECK_MODEL_DIR", str(env))
    assert find_model("lite") == env / "pose_landmarker_lite.task"
    # an empty file is not a model
    (env / "pose_landmarker_lite.task").write_bytes(b"")
    assert find_model("lite") == proj / "pose_landmarker_lite.task"


def test_resolve_without_download_lists_where_it_looked(isolated):
    with pytest.raises(ModelError, match="pose_landmarker_full.task not found in"):
        resolve_model("full", download=False)


def test_resolve_downloads_into_the_user_cache_and_says_so(isolated, monkeypatch, capsys):
    body = make_bundle()
    with LoopbackServer() as srv:
        srv.routes["/pose_landmarker_heavy.task"] = body
        monkeypatch.setattr(models, "OFFICIAL_URL", srv.url("/pose_landmarker_{v}.task"))
        import formcheck.io.model_download as md
        monkeypatch.setattr(md, "OFFICIAL_URL", models.OFFICIAL_URL)
        p = resolve_model("heavy")
        assert srv.requests == ["/pose_landmarker_heavy.task"]
        # second call finds the cached file: no second request
        assert resolve_model("heavy") == p
        assert srv.requests == ["/pose_landmarker_heavy.task"]
    assert p == models.cache_dir() / "pose_landmarker_heavy.task"
    assert "downloading pose_landmarker_heavy.task" in capsys.readouterr().err


def test_unknown_variant_is_a_value_error():
    with pytest.raises(ValueError, match="lite, full, heavy"):
        models.model_filename("huge")


# ---- CLI -----------------------------------------------------------------------------------

def test_models_command_lists_each_variant_and_where(isolated, capsys):
    from formcheck.cli import main

    proj = isolated / "proj" / "models"
    proj.mkdir(parents=True)
    (proj / "pose_landmarker_full.task").write_bytes(make_bundle())
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    full = [line for line in out.splitlines() if line.startswith("pose_landmarker_full.task")]
    lite = [line for line in out.splitlines() if line.startswith("pose_landmarker_lite.task")]
    assert full and str(proj / "pose_landmarker_full.task") in full[0]
    assert lite and "not found" in lite[0]


def test_models_fetch_unreachable_is_one_line_error(isolated, monkeypatch, capsys):
    import formcheck.io.model_download as md
    from formcheck.cli import main

    monkeypatch.setattr(md, "OFFICIAL_URL", refused_url("/pose_landmarker_{v}.task"))
    assert main(["models", "--fetch", "lite"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("formcheck: error: cannot download pose_landmarker_lite.task")
    assert "Traceback" not in "\n".join(err)
