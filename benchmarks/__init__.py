"""Benchmarks: run one with `python -m benchmarks <name>` (e.g. `live`)."""
