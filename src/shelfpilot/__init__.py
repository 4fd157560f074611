"""ShelfPilot: batch-level stock and clearance for goods that do not keep."""

__version__ = "0.1.0"
