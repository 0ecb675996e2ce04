"""Benchmarks: scripts, not timed tests. Each prints its figures; docs/benchmarks.md records them."""
