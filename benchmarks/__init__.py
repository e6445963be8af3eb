"""Benchmarks (run as scripts, never under pytest)."""
