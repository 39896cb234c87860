"""vidgen: split, generate and stitch video frames with small PyTorch models."""

__version__ = "0.1.0"
