"""A still in, a still out: alpha, 16-bit depth and EXIF orientation kept as the video paths keep them,
or one line saying what is not (every command that takes images)."""

import struct

import cv2
import numpy as np
import pytest
from conftest import invoke, make_clip

from vidgen_cli.io.decode import open_input
from vidgen_cli.io.exif import exif_orientation, orient
from vidgen_cli.io.probe import probe


@pytest.fixture(scope="module")
def style(tmp_path_factory):
    path = tmp_path_factory.mktemp("style") / "style.png"
    cv2.imwrite(str(path), (np.random.default_rng(0).random((64, 64, 3)) * 255).astype(np.uint8))
    return path


def with_orientation(jpeg: bytes, orientation: int) -> bytes:
    """`jpeg` with an APP1 EXIF block whose IFD0 holds only Orientation (big-endian TIFF), as cameras write it."""
    ifd = b"MM\x00*" + struct.pack(">I", 8) + struct.pack(">H", 1) + struct.pack(">HHIHH", 0x0112, 3, 1, orientation, 0) + b"\x00" * 4
    block = b"Exif\x00\x00" + ifd
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(block) + 2) + block + jpeg[2:]


@pytest.fixture(scope="module")
def photo(tmp_path_factory):
    """An 80x48 JPEG stored sideways, a red block in its stored top-left corner, EXIF Orientation 6 (turn 90 clockwise)."""
    stored = np.full((48, 80, 3), 128, np.uint8)
    stored[:12, :12] = (0, 0, 255)
    path = tmp_path_factory.mktemp("photo") / "photo.jpg"
    path.write_bytes(with_orientation(cv2.imencode(".jpg", stored, [cv2.IMWRITE_JPEG_QUALITY, 95])[1].tobytes(), 6))
    return path


def red_corner(frame: np.ndarray) -> str:
    """Which corner of an RGB frame holds the red block."""
    height, width = frame.shape[:2]
    corners = {"top-left": frame[:6, :6], "top-right": frame[:6, width - 6:], "bottom-left": frame[height - 6:, :6],
               "bottom-right": frame[height - 6:, width - 6:]}
    return max(corners, key=lambda name: float(corners[name][..., 0].mean()) - float(corners[name][..., 2].mean()))


def test_exif_orientations_turn_as_viewers_do():
    stored = np.arange(6).reshape(2, 3)
    assert orient(stored, 1).tolist() == stored.tolist()
    assert orient(stored, 6).tolist() == np.rot90(stored, -1).tolist()  # 90 clockwise
    assert orient(stored, 8).tolist() == np.rot90(stored, 1).tolist()
    assert orient(stored, 5).tolist() == stored.T.tolist()  # transpose
    assert orient(stored, 7).tolist() == np.rot90(stored, 2).T.tolist()  # transverse


def test_a_photo_is_read_upright_and_probe_reports_its_turn(photo):
    assert exif_orientation(photo) == 6
    info = probe(photo)
    assert (info.width, info.height, info.rotation) == (48, 80, 270)  # as a phone clip's "rotation of -90 degrees"
    with open_input(photo) as reader:
        frame = next(iter(reader))
    assert frame.shape[:2] == (80, 48) and red_corner(frame) == "top-right"


def test_a_folder_of_turned_photos_is_read_upright(photo, tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    for i in (1, 2):
        (folder / f"{i:06d}.jpg").write_bytes(photo.read_bytes())
    info = probe(folder)
    assert (info.width, info.height) == (48, 80)
    with open_input(folder) as reader:
        frames = list(reader)
    assert frames[0].shape[:2] == (80, 48) and red_corner(frames[1]) == "top-right"


def test_stylize_and_interpolate_a_photo_come_out_upright(photo, style, tmp_path):
    invoke("stylize", photo, "--style", style, "-o", tmp_path / "s.png", "--consistency", "off")
    assert cv2.imread(str(tmp_path / "s.png")).shape[:2] == (80, 48)
    invoke("interpolate", photo, "-o", tmp_path / "i.mp4", "--model", "blend", "--preset", "ultrafast")
    with open_input(tmp_path / "i.mp4") as reader:
        frame = next(iter(reader))
    assert frame.shape[:2] == (80, 48) and red_corner(frame) == "top-right"


def test_motion_replay_of_a_photo_starts_upright(photo, tmp_path):
    clip = make_clip(tmp_path / "still.mp4", size="48x80", seconds=0.5)
    invoke("motion", "capture", clip, "-o", tmp_path / "m.json")
    invoke("motion", "replay", photo, "--motion", tmp_path / "m.json", "-o", tmp_path / "r.mp4", "--preset", "ultrafast")
    with open_input(tmp_path / "r.mp4") as reader:
        frame = next(iter(reader))
    assert frame.shape[:2] == (80, 48) and red_corner(frame) == "top-right"


def test_stylize_an_rgba_png_keeps_its_alpha(style, tmp_path):
    image = np.full((48, 80, 4), 200, np.uint8)
    image[:, :40, 3] = 0  # left half transparent
    source = tmp_path / "rgba.png"
    cv2.imwrite(str(source), image)
    result = invoke("stylize", source, "--style", style, "-o", tmp_path / "out.png", "--consistency", "off")
    out = cv2.imread(str(tmp_path / "out.png"), cv2.IMREAD_UNCHANGED)
    assert out.shape == (48, 80, 4) and np.array_equal(out[..., 3], image[..., 3]), result.output
    assert "dropped" not in result.output
    result = invoke("stylize", source, "--style", style, "-o", tmp_path / "out.jpg", "--consistency", "off")
    assert [line for line in result.output.splitlines() if "alpha dropped" in line and ".jpg" in line], result.output


def test_stylize_a_16_bit_png_writes_16_bits(style, tmp_path):
    image = (np.random.default_rng(1).random((48, 64, 3)) * 65535).astype(np.uint16)
    source = tmp_path / "deep.png"
    cv2.imwrite(str(source), image)
    result = invoke("stylize", source, "--style", style, "-o", tmp_path / "out.png", "--consistency", "off")
    assert cv2.imread(str(tmp_path / "out.png"), cv2.IMREAD_UNCHANGED).dtype == np.uint16, result.output
    result = invoke("stylize", source, "--style", style, "-o", tmp_path / "out.jpg", "--consistency", "off")
    assert [line for line in result.output.splitlines() if "16-bit depth dropped" in line], result.output
