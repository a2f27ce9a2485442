"""Instant refresh: placeholder replaced by the engine."""
