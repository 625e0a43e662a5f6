"""GOES-VFI: smooth timelapse videos from GOES ABI satellite imagery."""

__version__ = "0.1.0"

__all__ = ["__version__"]
