"""The registry of projects known to the PMO."""
