"""Progress counts the frames a run writes: with --start/--end only the span's, with --every or
--fps the frames kept, for every command, so a log's last line reads N/N."""

import re

import pytest
from conftest import invoke, make_clip

BLEND = ("--model", "blend", "--preset", "ultrafast")


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return make_clip(tmp_path_factory.mktemp("span") / "c.mp4", rate="25", seconds=4.0)


def totals(output: str, label: str) -> list[tuple[int, int]]:
    return [(int(done), int(total)) for done, total in re.findall(rf"^{label} c\.mp4: (\d+)/(\d+) frames", output, re.M)]


@pytest.mark.parametrize("command,label,frames", [
    (("split",), "split", 25),
    (("split", "--every", "2"), "split", 13),
    (("split", "--fps", "10"), "split", 10),
    (("split", "--scenes"), "split", 25),
    (("split", "--scenes", "--format", "png"), "split", 25),
    (("interpolate", "--factor", "2", *BLEND), "interpolate", None),
    (("motion", "stabilize"), "analyse", 25),
    (("motion", "capture"), "capture", 25),
])
def test_progress_counts_only_the_span(tmp_path, clip, command, label, frames):
    folder = command[0] == "split"
    out = tmp_path / ("o/" if folder else "o.json" if command[:2] == ("motion", "capture") else "o.mp4")
    args = [*command[:2], clip, *command[2:]] if command[0] == "motion" else [command[0], clip, *command[1:]]
    result = invoke(*args, "-o", out, "--start", "1", "--end", "2")
    seen = totals(result.output, label)
    assert seen, result.output
    done, total = seen[-1]
    assert done == total, result.output
    assert frames is None or total == frames, result.output
