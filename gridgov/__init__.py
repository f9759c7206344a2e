"""gridgov — grid-based social governance platform (网格化社会治理)."""

__version__ = "0.1.0"
