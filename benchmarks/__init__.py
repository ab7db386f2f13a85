"""Benchmarks: `./dev run python -m benchmarks.<name>`."""
