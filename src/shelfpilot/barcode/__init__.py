"""Reading GS1 barcodes (GTIN, lot, expiry, net weight) with the biip library."""

from shelfpilot.barcode.gs1 import ScannedLabel, normalise_gtin, read_label

__all__ = ["ScannedLabel", "normalise_gtin", "read_label"]
