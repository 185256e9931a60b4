"""The batch on Dask distributed gives the same scores.csv as local worker processes.

The test starts its own LocalCluster (2 worker processes) and sends the batch to it through
its scheduler address, exactly as ``--backend dask --scheduler ADDRESS`` does.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from formcheck.batch.runner import ClipOptions, run_batch

distributed = pytest.importorskip("dask.distributed",
                                  reason="needs the dist extra: pip install 'formcheck[dist]'")

CLIPS = ("pelvic_tilt_03.mp4", "knee_to_chest_01.mp4", "cat_cow_03.mp4")
EXERCISE = "pelvic_tilt"


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as c:
        yield c


def test_dask_and_local_give_the_same_results(samples, cluster, tmp_path):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00not a video" * 100)
    inputs = [str(samples / c) for c in CLIPS] + [str(broken)]
    local = run_batch(inputs, tmp_path / "local", ClipOptions(EXERCISE), jobs=2)
    dask = run_batch(inputs, tmp_path / "dask", ClipOptions(EXERCISE), jobs=2, backend="dask",
                     scheduler=cluster.scheduler_address)
    assert dask.scored == local.scored == sorted(Path(p).stem for p in inputs)
    assert dask.errors == ["broken"]
    assert (tmp_path / "dask" / "scores.csv").read_bytes() == \
        (tmp_path / "local" / "scores.csv").read_bytes()
    for c in CLIPS:
        name = f"{Path(c).stem}.json"
        assert (tmp_path / "dask" / name).read_bytes() == (tmp_path / "local" / name).read_bytes()
    # the work really ran on the cluster's workers
    with distributed.Client(cluster) as client:
        assert len(client.scheduler_info()["workers"]) == 2


def test_dask_resumes_like_local(samples, cluster, tmp_path):
    inputs = [str(samples / CLIPS[0])]
    opts = ClipOptions(EXERCISE)
    first = run_batch(inputs, tmp_path / "o", opts, backend="dask",
                      scheduler=cluster.scheduler_address)
    again = run_batch(inputs, tmp_path / "o", opts, backend="dask",
                      scheduler=cluster.scheduler_address)
    assert first.scored == ["pelvic_tilt_03"] and again.skipped == ["pelvic_tilt_03"]


def test_unreachable_scheduler_is_a_clear_error(samples, tmp_path, monkeypatch):
    from formcheck.batch import dask_backend as fd
    from formcheck.batch.runner import BatchError

    monkeypatch.setattr(fd, "CONNECT_TIMEOUT_S", 2)
    with pytest.raises(BatchError, match="cannot reach the Dask scheduler"):
        run_batch([str(samples / CLIPS[0])], tmp_path / "o", ClipOptions(EXERCISE),
                  backend="dask", scheduler="tcp://127.0.0.1:9")
