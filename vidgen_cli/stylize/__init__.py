"""Arbitrary-style video stylization: style sources, the temporal flow canvas, the stream processor and the student's distillation recipe."""

# Processing resolution (longer side, pixels) of `vidgen stylize --max-side` and of `Stylizer`: one
# default, kept here so the CLI reads it without importing the processor (OpenCV, torch).
DEFAULT_MAX_SIDE = 720

# `vidgen stylize --consistency`: flow (the key canvas, default), crisp (the canvas with its carried
# blend and detail match: sharper, no steadier, slower; opt-in, see stylize/canvas.py) or off.
CONSISTENCY_MODES = ("flow", "crisp", "off")
