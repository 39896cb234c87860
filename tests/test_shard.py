"""--shard K/N: a deterministic split of a batch between workers, and claim files so that workers
sharing an output folder never process one input twice."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vidgen_cli.cli.app import app
from vidgen_cli.cli.batch import shard_of
from vidgen_cli.runtime.claims import claim_path, try_claim

runner = CliRunner()


@pytest.fixture
def batch(tmp_path, clips) -> Path:
    folder = tmp_path / "videos"
    folder.mkdir()
    for i in range(5):
        shutil.copy(clips["plain"], folder / f"clip{i}.mp4")
    return folder


def _records(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def test_shards_are_disjoint_cover_everything_and_ignore_the_listing_order():
    names = [f"v{i}.mp4" for i in (10, 2, 1, 7, 3, 11, 5)]
    parts = [shard_of(names, (k, 3)) for k in (1, 2, 3)]
    assert sorted(sum(parts, [])) == sorted(names)
    assert all(not set(a) & set(b) for a in parts for b in parts if a is not b)
    assert [set(shard_of(list(reversed(names)), (k, 3))) for k in (1, 2, 3)] == [set(p) for p in parts]
    assert set(parts[0]) == {"v1.mp4", "v5.mp4", "v11.mp4"}  # natural order 1 2 3 5 7 10 11: 1st, 4th, 7th


@pytest.mark.parametrize("value", ["0/2", "3/2", "2", "a/b", "1/0"])
def test_bad_shard_values_are_refused_in_one_line(value, batch, tmp_path):
    result = runner.invoke(app, ["split", str(batch), "-o", str(tmp_path / "out"), "--shard", value])
    assert result.exit_code == 2 and result.output.strip().startswith("vidgen: error: --shard"), result.output
    assert len(result.output.strip().splitlines()) == 1


def test_two_shards_together_process_every_input_once(batch, tmp_path):
    out = tmp_path / "frames"
    done = []
    for k in (1, 2):
        result = runner.invoke(app, ["split", str(batch), "-o", str(out), "--shard", f"{k}/2", "--json", "--quiet"])
        assert result.exit_code == 0, result.output
        done += [r["input"] for r in _records(result.output) if "input" in r and not r.get("skipped")]
    assert sorted(Path(p).name for p in done) == [f"clip{i}.mp4" for i in range(5)]
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [f"clip{i}" for i in range(5)]


def test_claims_held_done_and_stale(batch, tmp_path):
    out = tmp_path / "frames"
    busy, stale, dead, finished = (str(out / f"clip{i}") for i in range(4))
    for path, record in ((busy, {"state": "running", "host": "elsewhere", "pid": 1}),
                         (stale, {"state": "running", "host": "elsewhere", "pid": 1}),
                         (dead, {"state": "running", "host": os.uname().nodename, "pid": _dead_pid()}),
                         (finished, {"state": "done", "host": "elsewhere", "pid": 1})):
        claim_path(path).parent.mkdir(parents=True, exist_ok=True)
        claim_path(path).write_text(json.dumps(record))
    old = time.time() - 3600
    os.utime(claim_path(stale), (old, old))  # its worker stopped beating an hour ago
    Path(finished).mkdir(parents=True)  # done, and its output is there
    result = runner.invoke(app, ["split", str(batch), "-o", str(out), "--shard", "1/1", "--json", "--quiet"])
    assert result.exit_code == 0, result.output
    status = {Path(r["input"]).name: r.get("reason", "processed") for r in _records(result.output) if "input" in r}
    assert status["clip0.mp4"].startswith("being processed by elsewhere")
    assert status["clip1.mp4"] == status["clip2.mp4"] == status["clip4.mp4"] == "processed"
    assert status["clip3.mp4"].startswith("done by elsewhere")
    assert json.loads(claim_path(str(out / "clip1")).read_text())["state"] == "done"


def test_a_failed_input_releases_its_claim_for_a_retry(tmp_path):
    destination = str(tmp_path / "out" / "x.mp4")
    claim, _ = try_claim(destination)
    assert claim is not None and try_claim(destination)[0] is None
    claim.release(done=False)
    again, _ = try_claim(destination)
    assert again is not None
    again.release(done=False)
    assert not (tmp_path / "out" / ".vidgen-claims").exists()


def test_concurrent_workers_on_one_output_never_duplicate_an_input(batch, tmp_path):
    """Four processes, all told to do everything (--shard 1/1) into one folder at the same time."""
    out = tmp_path / "frames"
    command = [sys.executable, "-m", "vidgen_cli", "split", str(batch), "-o", str(out), "--shard", "1/1", "--json", "--quiet"]
    workers = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(4)]
    processed = []
    for worker in workers:
        stdout, stderr = worker.communicate(timeout=300)
        assert worker.returncode == 0, stderr
        processed += [r["input"] for r in _records(stdout) if "input" in r and not r.get("skipped")]
    assert sorted(Path(p).name for p in processed) == [f"clip{i}.mp4" for i in range(5)]


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid
