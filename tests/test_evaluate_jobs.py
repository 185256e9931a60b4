"""`formcheck evaluate --jobs N`: clips scored in worker processes give the same table."""

from __future__ import annotations

import shutil

import pytest

from formcheck.cli import main


@pytest.mark.clips
def test_jobs_2_prints_the_same_table_as_jobs_1(samples, tmp_path, capsys):
    # three clips of different exercises, one of them missing (an error row), so order,
    # scoring and error rows all have to survive the worker processes
    for name in ("plank_04.mp4", "glute_bridge_01.mp4"):
        shutil.copy(samples / name, tmp_path / name)
    (tmp_path / "labels.toml").write_text(
        '[[clip]]\nfile = "plank_04.mp4"\nexercise = "plank"\nfaults = []\nno_faults = []\n'
        '[[clip]]\nfile = "missing.mp4"\nexercise = "plank"\n'
        '[[clip]]\nfile = "glute_bridge_01.mp4"\nexercise = "glute_bridge"\nreps = 2\n'
        'faults = ["hold_too_short"]\n')
    labels = str(tmp_path / "labels.toml")
    assert main(["evaluate", "--labels", labels, "--jobs", "1"]) == 1  # the missing clip
    one = capsys.readouterr().out
    assert main(["evaluate", "--labels", labels, "--jobs", "2"]) == 1
    two = capsys.readouterr().out
    assert two == one
    rows = [ln.split()[0] for ln in one.splitlines()[2:-1]]
    assert rows == ["plank_04.mp4", "missing.mp4", "glute_bridge_01.mp4"]
    assert "missing.mp4" in one and "ERROR" in one and "2+-0/2 ok" in one


def test_jobs_below_one_is_a_usage_error(tmp_path, capsys):
    (tmp_path / "labels.toml").write_text("")
    assert main(["evaluate", "--labels", str(tmp_path / "labels.toml"), "--jobs", "0"]) == 2
    assert "--jobs" in capsys.readouterr().err
