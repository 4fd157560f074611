"""Helpers for testing code that uses ShelfPilot against real servers."""
