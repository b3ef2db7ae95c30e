"""Segments: routes, the criteria subset the simulator evaluates, the per-account store."""
