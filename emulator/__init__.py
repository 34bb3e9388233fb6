"""fnemu: the Functions platform on a laptop, offline."""

__version__ = "0.1.0"

__all__ = ["__version__"]
