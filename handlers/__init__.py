"""One thin aiohttp frontend per deployable: `python -m handlers.<service>`."""
