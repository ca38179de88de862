"""Benchmarks (`python -m bench.<name>`); each writes its results under bench/results/."""
