"""One long-running consumer per deployable: `python -m workers.<worker>`."""
