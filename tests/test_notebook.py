"""The tuning notebook executes headless and plots every floor-exercise clip."""

from __future__ import annotations

import pytest

from .conftest import ROOT

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")


@pytest.mark.clips
@pytest.mark.slow
def test_signals_notebook_executes(samples):
    path = ROOT / "notebooks" / "floor_exercise_signals.ipynb"
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    client.execute()
    images = sum(
        1
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if "image/png" in out.get("data", {})
    )
    n_clips = sum(
        1 for line in nb.cells[1].outputs[0]["text"].splitlines() if "floor-exercise clips" in line
    )
    assert n_clips == 1
    floor_clips = int(nb.cells[1].outputs[0]["text"].split()[0])
    assert images == floor_clips, f"expected one figure per floor clip, got {images}/{floor_clips}"
