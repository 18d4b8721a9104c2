"""Pure JAX kernels over arrays: rotations, retargeting, finite differences, MJX dynamics,
support regions, self-collision, masked reductions."""
