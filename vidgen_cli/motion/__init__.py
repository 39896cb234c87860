"""`vidgen motion`: capture camera motion, replay it, stabilize, propagate edited key frames."""
