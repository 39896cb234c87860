"""Training: datasets that sample clips from folders, and one training loop shared by every model."""
