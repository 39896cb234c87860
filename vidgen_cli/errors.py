"""Typed errors. Library code raises these; the CLI turns them into one-line messages and exit codes."""

from __future__ import annotations


class VidgenError(Exception):
    """Base class: the message says what is wrong and what to do about it."""

    exit_code = 1


class UsageError(VidgenError):
    """Options that contradict each other or are out of range."""

    exit_code = 2


class InputError(VidgenError):
    """An input that is missing, unreadable, empty or not a video/image."""

    exit_code = 3


class DecodeError(InputError):
    """ffmpeg could not decode an input that looked readable."""


class NoFramesError(InputError):
    """The input gave no frame to write. Every writer raises this one error for it, so the exit code
    does not depend on the kind of output."""

    def __init__(self, output: object, reason: str = "the input produced no frames") -> None:
        super().__init__(f"no frames to write to {output}; {reason}")


class OutputError(VidgenError):
    """An output that exists (without --overwrite), cannot be written, or equals an input."""

    exit_code = 4


class EncodeError(VidgenError):
    """ffmpeg failed while writing the output."""

    exit_code = 5


class WeightsError(VidgenError):
    """Weights missing, tampered with (sha256 mismatch) or of the wrong architecture."""

    exit_code = 6


class DeviceError(VidgenError):
    """A requested device (cuda) or precision (--half) is not available."""

    exit_code = 7
