"""Calibration of v2's offsets, scales and widths from real motion (`phymotion calibrate`):
`corpus` loads the real windows of a corpus with their capture source, `rules` says how each
term's numbers follow from the distribution of its physical value over those windows, and
`derive` applies the rules. See docs/calibration.md."""
