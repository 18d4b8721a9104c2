"""Scoring presets: `phymotion` (the published reward) and `v2` (the default, defects fixed)."""
