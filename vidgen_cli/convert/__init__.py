"""Video <-> frames with ffmpeg and no model: `split` and `stitch`."""
