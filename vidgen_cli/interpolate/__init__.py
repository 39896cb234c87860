"""Frame interpolation: the flow and learned engines, the stream processor (factor/fps retiming) and the fusion net's training recipe."""
