"""TODO vision."""
