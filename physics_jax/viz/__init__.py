"""Visualisation of what the scorer judges: per-frame signals, MuJoCo renders, HTML reports."""
