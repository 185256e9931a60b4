"""Clean stops (issue 10): SIGTERM ends a command like Ctrl-C (workers stopped, temporary files
removed, finished results kept); a full disk is one line that names it, with no temporary file
left; a read-only output folder is refused before any work.

The commands run as subprocesses, as a user runs them. The full and read-only disks are small
tmpfs mounts made in a private mount namespace (``unshare -rm``: no root needed where user
namespaces are allowed; skipped where they are not)."""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FC = [sys.executable, "-m", "formcheck.cli"]


def env() -> dict[str, str]:
    e = dict(os.environ)
    e["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + e.get("PYTHONPATH", "")
    return e


def can_mount_tmpfs() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-rm", "sh", "-c", "d=$(mktemp -d) && mount -t tmpfs "
                            "-o size=64k tmpfs $d && umount $d && rmdir $d"],
                           capture_output=True)
    return probe.returncode == 0


needs_tmpfs = pytest.mark.skipif(not can_mount_tmpfs(),
                                 reason="cannot mount a tmpfs (unshare -rm not allowed)")


def on_small_disk(mount: Path, argv: list, fill_kb: int = 0, size_kb: int = 200,
                  ro: bool = False) -> tuple[int, str, list[str]]:
    """Run ``formcheck argv`` with a fresh tmpfs of ``size_kb`` at ``mount`` (``fill_kb``
    already used, or read-only); returns (exit status, stderr, the files left on it)."""
    mount.mkdir(exist_ok=True)
    opts = f"size={size_kb}k" + (",ro" if ro else "")
    fill = (f"head -c {fill_kb * 1024} /dev/zero > {shlex.quote(str(mount))}/filler && "
            if fill_kb else "")
    cmd = " ".join(shlex.quote(str(a)) for a in FC + argv)
    script = (f"mount -t tmpfs -o {opts} tmpfs {shlex.quote(str(mount))} && {fill}"
              f"{{ {cmd}; rc=$?; }}; echo '--files--' >&2; "
              f"(cd {shlex.quote(str(mount))} && find . -mindepth 1 | sort) >&2; exit $rc")
    p = subprocess.run(["unshare", "-rm", "sh", "-c", script], capture_output=True, text=True,
                       env=env(), timeout=600)
    err, _, files = p.stderr.partition("--files--\n")
    return p.returncode, err, [f[2:] for f in files.split()]


def one_line_error(err: str, *words: str) -> None:
    assert "Traceback" not in err, err
    lines = [ln for ln in err.splitlines() if ln.startswith("formcheck: error:")]
    assert len(lines) == 1, err
    for w in words:
        assert w in lines[0], err


@needs_tmpfs
def test_disk_full_annotated_video(samples, tmp_path):
    rc, err, files = on_small_disk(tmp_path / "full", [
        "analyze", samples / "plank_09.mp4", "-e", "plank", "-q",
        "--out-video", tmp_path / "full" / "r.mp4"], fill_kb=170)
    assert rc == 2
    one_line_error(err, "disk is full", str(tmp_path / "full"))
    assert files == ["filler"]  # no r.mp4, no hidden .formcheck-*.mp4


@needs_tmpfs
def test_disk_full_report_and_json(samples, tmp_path):
    rc, err, files = on_small_disk(tmp_path / "full", [
        "analyze", samples / "plank_09.mp4", "-e", "plank", "-q",
        "--report", tmp_path / "full" / "r.html"], fill_kb=190)
    assert rc == 2
    one_line_error(err, "disk is full")
    assert files == ["filler"]


@needs_tmpfs
def test_disk_full_batch(samples, tmp_path):
    rc, err, files = on_small_disk(tmp_path / "full", [
        "batch", samples / "plank_09.mp4", "-e", "plank", "-q", "--out", tmp_path / "full"],
        fill_kb=190)
    assert rc == 2
    one_line_error(err, "disk is full")
    assert not [f for f in files if f.endswith(".tmp") or "/.formcheck-" in f
                or f.startswith(".formcheck-") and not f.startswith(".formcheck-batch")], files


@needs_tmpfs
def test_read_only_out_folder_is_refused_before_any_work(tmp_path):
    not_a_video = tmp_path / "a.mp4"
    not_a_video.write_bytes(b"no video here")
    # were the clip analysed first, it would become an error row and the exit status 1
    rc, err, files = on_small_disk(tmp_path / "ro", [
        "batch", not_a_video, "-e", "plank", "-q", "--out", tmp_path / "ro"], ro=True)
    assert rc == 2
    one_line_error(err, "not writable", "read-only")
    assert files == []


@needs_tmpfs
def test_read_only_history_is_refused_before_the_session(tmp_path, samples):
    rc, err, _ = on_small_disk(tmp_path / "ro", [
        "live", "-e", "plank", "--camera", samples / "plank_09.mp4", "--no-voice",
        "--history", tmp_path / "ro" / "history.jsonl"], ro=True)
    assert rc == 2
    one_line_error(err, "--history", "not writable")


# ---- signals -------------------------------------------------------------------------------------


def children(pid: int) -> set[int]:
    """Direct child processes of ``pid`` (Linux /proc)."""
    out = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out |= {int(c) for c in (task / "children").read_text().split()}
        except OSError:
            pass
    return out


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def wait_for(cond, timeout: float, what: str) -> None:
    t0 = time.monotonic()
    while not cond():
        if time.monotonic() - t0 > timeout:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.1)


@pytest.fixture
def six_clips(samples, tmp_path) -> Path:
    d = tmp_path / "six"
    d.mkdir()
    for i in range(6):  # copies: distinct clips to the batch
        shutil.copy(samples / "plank_09.mp4", d / f"clip{i}.mp4")
    return d


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")
def test_sigterm_stops_batch_like_ctrl_c(six_clips, tmp_path):
    out = tmp_path / "o"
    p = subprocess.Popen(FC + ["batch", str(six_clips), "-e", "plank", "--out", str(out),
                               "--jobs", "2", "-q"], env=env(), stderr=subprocess.PIPE, text=True)
    # one clip finished (its result must be kept) while the workers are busy with others
    wait_for(lambda: out.is_dir() and any(out.glob("clip*.json")), 300, "a finished clip")
    workers = children(p.pid)
    assert workers, "no worker processes seen"
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 128 + signal.SIGTERM
    assert "Traceback" not in err and "SpawnProcess" not in err, err
    wait_for(lambda: not any(alive(w) for w in workers), 10, "the workers to stop")
    left = [f.name for f in out.rglob("*") if f.name.endswith(".tmp") or
            f.name.startswith(".formcheck-") and f.name != ".formcheck-batch"]
    assert left == []
    finished = {f.stem for f in out.glob("clip*.json")}
    rows = (out / "scores.csv").read_text().splitlines()[1:]
    assert finished and {r.split(",")[0] for r in rows} == finished


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")
def test_ctrl_c_in_batch_prints_no_worker_traceback(samples, tmp_path):
    """Ctrl-C reaches the whole process group. A worker that has finished its clip and waits
    for the next one used to die of it with "Process SpawnProcess-N:" and a traceback."""
    out = tmp_path / "o"
    short, long = samples / "plank_09.mp4", samples / "sitting_01.mp4"  # 1 s and 17 s
    # --full-rate and an empty landmark cache: the model on every frame keeps the long clip
    # busy long enough (with the suite's shared cache, an earlier test may have its landmarks)
    fresh = dict(env(), FORMCHECK_CACHE_DIR=str(tmp_path / "cache"))
    p = subprocess.Popen(FC + ["batch", str(short), str(long), "-e", "auto", "--out",
                               str(out), "--jobs", "2", "-q", "--full-rate"], env=fresh,
                         stderr=subprocess.PIPE, text=True, start_new_session=True)
    wait_for(lambda: (out / "plank_09.json").is_file(), 300, "the short clip")
    time.sleep(1.0)  # its worker now waits for work; the other is busy with the long clip
    workers = children(p.pid)
    os.killpg(p.pid, signal.SIGINT)  # as the terminal sends Ctrl-C: to the whole group
    _, err = p.communicate(timeout=60)
    assert p.returncode == 130
    assert "SpawnProcess" not in err and "Traceback" not in err, err
    wait_for(lambda: not any(alive(w) for w in workers), 10, "the workers to stop")
    assert "plank_09" in (out / "scores.csv").read_text()  # the finished clip is kept


def test_sigterm_during_analyze_removes_the_partial_video(samples, tmp_path):
    out = tmp_path / "v"
    out.mkdir()
    p = subprocess.Popen(FC + ["analyze", str(samples / "plank_01.mp4"), "-e", "plank", "-q",
                               "--out-video", str(out / "r.mp4")], env=env(),
                         stderr=subprocess.PIPE, text=True)
    wait_for(lambda: any(out.glob(".formcheck-*")), 120, "the temporary video")
    time.sleep(1)
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 128 + signal.SIGTERM, err
    assert "Traceback" not in err, err
    assert list(out.iterdir()) == []
