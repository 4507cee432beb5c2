"""The benchmark harness: `make bench` (README.md, "Benchmarks")."""
