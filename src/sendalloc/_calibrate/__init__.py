"""The parts of :mod:`sendalloc.calibrate` (internal)."""
