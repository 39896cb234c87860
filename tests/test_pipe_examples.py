"""The pipe examples in the README and --help keep every stream: an ffmpeg on either side of a
vidgen pipe needs -map 0 (without it ffmpeg passes one video, one audio and one subtitle stream
and no attachments)."""

import re
from pathlib import Path

from vidgen_cli.cli.help import EXAMPLES

README = Path(__file__).resolve().parents[1] / "README.md"


def pipe_ffmpegs(text: str) -> list[str]:
    """Every ffmpeg command that reads or writes a pipe next to vidgen, in `text`."""
    found = []
    for line in text.splitlines():
        if "|" not in line or "vidgen" not in line:
            continue
        for part in line.split("#")[0].split("|"):
            if part.strip().startswith("ffmpeg") and (" - " in part + " " or part.rstrip().endswith(" -")):
                found.append(part.strip())
    return found


def test_readme_and_help_pipes_map_every_stream():
    commands = pipe_ffmpegs(README.read_text()) + pipe_ffmpegs("\n".join(line for lines in EXAMPLES.values() for line in lines))
    assert len(commands) >= 5
    missing = [command for command in commands if not re.search(r"-map 0(\s|$)", command)]
    assert not missing, missing
