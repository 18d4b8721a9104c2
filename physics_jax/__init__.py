"""PhyMotion-JAX: a physics-grounded motion reward, batched on MuJoCo MJX."""

__version__ = "0.1.0"
