"""REST API of the maintenance app."""
