"""The version of sendalloc, in a module of its own so that any module may import it."""

__all__ = ["VERSION"]

#: The package version (also ``sendalloc.__version__``).
VERSION = "0.1.0"
