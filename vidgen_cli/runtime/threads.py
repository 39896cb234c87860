"""Run decode -> process -> encode concurrently: a decode thread and an encode thread joined to the
processing step (main thread) by bounded queues, so the three overlap and memory stays flat.

An error in any stage stops the other two and is re-raised once, in the caller's thread; the
writer then discards its partial output.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Protocol

import numpy as np

from vidgen_cli.runtime.interrupt import raise_if_requested
from vidgen_cli.runtime.processor import Mark

_DONE = object()


class FrameSink(Protocol):
    def write(self, frame: np.ndarray) -> None: ...
    def close(self) -> None: ...
    def abort(self) -> None: ...


Process = Callable[[Iterable[np.ndarray]], Iterator[np.ndarray]]


class _Stage:
    """Shared stop flag and first error of a running pipeline."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.error: BaseException | None = None
        self._lock = threading.Lock()

    def fail(self, error: BaseException) -> None:
        with self._lock:
            if self.error is None:
                self.error = error
        self.stop.set()

    def put(self, channel: queue.Queue, item: object) -> bool:
        """Put unless the pipeline stopped; False means give up."""
        while not self.stop.is_set():
            try:
                channel.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def drain(self, channel: queue.Queue) -> Iterator[object]:
        while True:
            try:
                item = channel.get(timeout=0.1)
            except queue.Empty:
                if self.stop.is_set():
                    return
                continue
            if item is _DONE:
                return
            yield item


def run_pipeline(frames: Iterable[np.ndarray], sink: FrameSink, process: Process | None = None,
                 on_frame: Callable[[int], None] | None = None, queue_size: int = 8) -> int:
    """Decode `frames` in a thread, apply `process`, write to `sink` in a thread. Returns frames written.

    Each queue holds at most `queue_size` frames: 8 frames of 4K RGB are 200 MB, the largest
    amount of buffering the pipeline ever holds, whatever the length of the video.
    """
    state = _Stage()
    decoded: queue.Queue = queue.Queue(maxsize=queue_size)
    processed: queue.Queue = queue.Queue(maxsize=queue_size)
    written = 0

    def decode() -> None:
        iterator = iter(frames)
        try:
            for frame in iterator:
                if not state.put(decoded, frame):
                    break
            else:
                state.put(decoded, _DONE)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            state.fail(exc)
        finally:
            close = getattr(iterator, "close", None)
            if close:
                close()

    def encode() -> None:
        nonlocal written
        try:
            for frame in state.drain(processed):
                if isinstance(frame, Mark):
                    mark = getattr(sink, "mark", None)
                    if mark is not None:
                        mark(frame)
                    continue
                sink.write(frame)  # type: ignore[arg-type]
                written += 1
                if on_frame:
                    on_frame(written)
        except BaseException as exc:  # noqa: BLE001
            state.fail(exc)

    threads = [threading.Thread(target=decode, name="vidgen-decode", daemon=True),
               threading.Thread(target=encode, name="vidgen-encode", daemon=True)]
    for thread in threads:
        thread.start()
    try:
        stream: Iterable[np.ndarray] = state.drain(decoded)  # type: ignore[assignment]
        for frame in (process(stream) if process else stream):
            raise_if_requested()
            if not state.put(processed, frame):
                break
        else:
            if state.error is None:
                state.put(processed, _DONE)
    except BaseException as exc:  # noqa: BLE001 - includes KeyboardInterrupt: clean up, then re-raise
        state.fail(exc)
    threads[1].join()
    state.stop.set()
    threads[0].join()
    if state.error is not None:
        sink.abort()
        raise state.error
    try:
        sink.close()
    except BaseException:
        sink.abort()
        raise
    return written
