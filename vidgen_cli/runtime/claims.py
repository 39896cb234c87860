"""Claim files: several workers (`--shard K/N` on one or many machines) sharing an output folder
never process the same input twice, and a crashed worker's input can be taken over.

Before it starts an input, a worker creates `.vidgen-claims/NAME.claim` beside the input's output,
with O_CREAT | O_EXCL (atomic on a local disk and on NFSv3+), holding its host, pid and start time.
While it works, a heartbeat thread touches the file; when it finishes it marks the claim done (so
another worker skips the input while its output exists), and on failure it removes the claim so a
later run retries. A running claim is stale, and taken over, when its heartbeat is older than
`stale_after` seconds or when it names a process on this host that no longer exists. Takeover
renames the stale file away first, so of two workers that find it stale only one proceeds.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

CLAIMS_FOLDER = ".vidgen-claims"
HEARTBEAT_SECONDS = 20.0
STALE_SECONDS = 120.0


def claim_path(output: str) -> Path:
    """Where the claim for the input whose result goes to `output` lives."""
    path = Path(output)
    return path.parent / CLAIMS_FOLDER / f"{path.name}.claim"


@dataclass
class Claim:
    """A held claim; release() when the input is done (or failed)."""

    path: Path
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start_heartbeat(self, every: float = HEARTBEAT_SECONDS) -> None:
        def beat() -> None:
            while not self._stop.wait(every):
                try:
                    os.utime(self.path)
                except OSError:
                    return

        self._thread = threading.Thread(target=beat, name="vidgen-claim-heartbeat", daemon=True)
        self._thread.start()

    def release(self, done: bool) -> None:
        """Mark the claim done (other workers skip the input) or remove it (a later run retries)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if done:
            record = {**_read(self.path), "state": "done", "finished": time.time()}
            tmp = self.path.with_name(self.path.name + f".{os.getpid()}.part")
            tmp.write_text(json.dumps(record))
            os.replace(tmp, self.path)
        else:
            self.path.unlink(missing_ok=True)
            try:  # leave no empty claims folder behind a failed input
                self.path.parent.rmdir()
            except OSError:
                pass


def try_claim(output: str, stale_after: float = STALE_SECONDS) -> tuple[Claim | None, str]:
    """Claim the input whose result goes to `output`. Returns (claim, '') when this worker should
    process it, else (None, why not): done by another worker, or being processed by one."""
    path = claim_path(output)
    path.parent.mkdir(parents=True, exist_ok=True)
    for _ in range(3):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            holder = _read(path)
            if holder.get("state") == "done" and os.path.exists(output):
                return None, f"done by {_who(holder)}"
            if holder.get("state") != "done" and not _stale(path, holder, stale_after):
                return None, f"being processed by {_who(holder)}"
            _take_over(path)  # whether this worker or another moved it, look again
            continue
        with os.fdopen(fd, "w") as handle:
            json.dump({"state": "running", "host": socket.gethostname(), "pid": os.getpid(), "started": time.time()}, handle)
        claim = Claim(path)
        claim.start_heartbeat()
        return claim, ""
    return None, "claimed by another worker"


def _read(path: Path) -> dict:
    try:
        return json.loads(path.read_text() or "{}")
    except (OSError, ValueError):
        return {}  # being written this instant, or gone: judged by its age alone


def _who(holder: dict) -> str:
    return f"{holder.get('host', '?')}:{holder.get('pid', '?')}"


def _stale(path: Path, holder: dict, stale_after: float) -> bool:
    try:
        age = time.time() - path.stat().st_mtime
    except FileNotFoundError:
        return True
    if age > stale_after:
        return True
    if holder.get("host") == socket.gethostname() and isinstance(holder.get("pid"), int):
        return not _alive(holder["pid"])
    return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _take_over(path: Path) -> bool:
    """Move a stale claim out of the way; False if another worker got there first (a fresh claim
    moved by mistake in the instant between the look and the rename is put back)."""
    try:
        before = path.stat()
        aside = path.with_name(f"{path.name}.stale-{socket.gethostname()}-{os.getpid()}")
        os.rename(path, aside)
    except FileNotFoundError:
        return False
    moved = aside.stat()
    if (moved.st_ino, moved.st_mtime_ns) != (before.st_ino, before.st_mtime_ns):
        try:  # a fresh claim replaced the stale one between the look and the rename: put it back
            os.link(aside, path)
        except FileExistsError:
            pass
        aside.unlink(missing_ok=True)
        return False
    aside.unlink(missing_ok=True)
    return True
