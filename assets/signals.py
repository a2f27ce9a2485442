"""Signals the assets app sends; other apps listen (assets imports none of them)."""

from django.dispatch import Signal

# Sent once per stored batch of meter readings, inside its transaction, with
# `meter` (the Meter, its `last_value` updated) and `count` (readings stored).
readings_recorded = Signal()
