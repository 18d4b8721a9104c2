"""Scoring presets as data: `phymotion` (the published reward) and `v2` (the default, defects
fixed). `registry.get_preset(name)` gives the preset object (layout, finite differences, axes,
terms and units, and its parameters pytree); `registry.load_params(path)` reads parameters."""
