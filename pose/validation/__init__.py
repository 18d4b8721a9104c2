"""`phymotion validate-video`: does the physics reward, through pose recovery, rank real videos
above image-space corruptions of them? Corruptions and probes on frames (`corruptions`), the
suite (variants -> pose -> IK -> both presets, `suite`), its figures (`tables`), the HTML
report (`report`) and the command (`cli`). See docs/validation.md, "Real video"."""
