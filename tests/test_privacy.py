"""Nothing leaves the machine (issue 10, privacy): ``analyze`` makes no network connection -
MediaPipe's native usage report included - and inputs are plain local files only, never URLs
or FFmpeg protocols."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from formcheck.cli import main
from formcheck.io.inputs import ffmpeg_local_url
from formcheck.io.offline import NO_UPLOAD_PROXY, block_native_uploads, unblock_native_uploads

ROOT = Path(__file__).resolve().parents[1]
#: syscalls by which anything could leave the process over a network
NET_CALLS = "connect,sendto,sendmsg,sendmmsg"


def strace_available() -> bool:
    if shutil.which("strace") is None:
        return False
    probe = subprocess.run(["strace", "-f", "-qq", "-e", "trace=none", "true"],
                           capture_output=True)
    return probe.returncode == 0  # ptrace may be forbidden in a container


def env_for_subprocess() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    return env


def ip_traffic(trace: str) -> list[str]:
    """Lines of an strace log where an IPv4/IPv6 address is connected or sent to (a UDP
    DNS query included: glibc connects its socket to the name server first)."""
    return [ln for ln in trace.splitlines()
            if re.search(r"\b(connect|sendto|sendmsg|sendmmsg)\(", ln)
            and re.search(r"AF_INET6?\b", ln)]


@pytest.mark.skipif(not strace_available(), reason="strace missing or ptrace not allowed "
                    "(CI installs it: .ci/apt-packages.txt)")
def test_analyze_makes_no_network_connection(samples, tmp_path):
    log = tmp_path / "strace.txt"
    cmd = ["strace", "-f", "-qq", "-e", f"trace={NET_CALLS}", "-o", str(log),
           sys.executable, "-m", "formcheck.cli", "analyze", str(samples / "plank_09.mp4"),
           "-e", "plank", "-q", "--json", str(tmp_path / "r.json")]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env_for_subprocess(),
                          timeout=600)
    assert proc.returncode == 0, proc.stderr
    trace = log.read_text()
    assert ip_traffic(trace) == []
    # the landmarker did try to send its report: it went to the blocked local proxy
    assert "formcheck-no-upload.sock" in trace


def test_blocking_is_nested_and_restores_the_users_proxy(monkeypatch):
    monkeypatch.setenv("https_proxy", "http://proxy.example:3128")
    monkeypatch.setenv("no_proxy", "*")
    monkeypatch.delenv("ALL_PROXY", raising=False)
    block_native_uploads()
    block_native_uploads()
    assert os.environ["https_proxy"] == NO_UPLOAD_PROXY
    assert os.environ["ALL_PROXY"] == NO_UPLOAD_PROXY
    assert "no_proxy" not in os.environ  # "*" would exempt Google's host from the proxy
    unblock_native_uploads()
    assert os.environ["https_proxy"] == NO_UPLOAD_PROXY  # one landmarker is still open
    unblock_native_uploads()
    assert os.environ["https_proxy"] == "http://proxy.example:3128"
    assert os.environ["no_proxy"] == "*"
    assert "ALL_PROXY" not in os.environ


# ---- inputs are local files only --------------------------------------------------------------


def test_a_url_is_refused_as_an_input(capsys):
    for spec in ["http://127.0.0.1:9/x.mp4", "pipe:0", "tcp://127.0.0.1:9", "concat:a|b"]:
        rc = main(["analyze", spec, "-e", "plank", "-q"])
        err = capsys.readouterr().err
        assert rc == 2 and "not a local file" in err and err.count("\n") == 1, (spec, err)


def test_a_device_or_pipe_is_refused_as_an_input(capsys):
    rc = main(["analyze", "/dev/zero", "-e", "plank", "-q"])
    err = capsys.readouterr().err
    assert rc == 2 and "not a regular file" in err


def test_a_local_file_named_like_a_url_is_read_as_that_file(tmp_path, monkeypatch):
    """A folder named ``http:`` (or a file named ``pipe:0``) is a local path: FFmpeg gets it
    as ``file:`` + absolute path, so it can neither fetch from the network nor read stdin."""
    monkeypatch.chdir(tmp_path)
    for rel in ["http:/127.0.0.1:9/x.mp4", "pipe:0"]:
        url = ffmpeg_local_url(rel)
        assert url == "file:" + str(tmp_path / rel)
    from formcheck.io.video import VideoError, VideoFileSource

    f = tmp_path / "pipe:0"
    f.write_bytes(b"not a video")
    with pytest.raises(VideoError, match="not a readable video"):
        VideoFileSource("pipe:0")  # read from the file (and refused), not from stdin


def test_analyze_reads_a_file_under_a_folder_named_http(samples, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    d = tmp_path / "http:" / "127.0.0.1:9"
    d.mkdir(parents=True)
    shutil.copy(samples / "plank_09.mp4", d / "x.mp4")
    rc = main(["analyze", "http://127.0.0.1:9/x.mp4", "-e", "plank", "-q",
               "--json", str(tmp_path / "r.json")])
    assert rc == 0 and (tmp_path / "r.json").is_file()
