"""Arbitrary-style video stylization: style sources, the temporal flow canvas, the stream processor and the student's distillation recipe."""
