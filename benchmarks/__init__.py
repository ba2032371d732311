"""Benchmarks: long, measured checks that live outside the test suite (see BENCHMARKS.md)."""
