"""TODO workflow."""
