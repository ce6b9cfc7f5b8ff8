"""Benchmarks (``make bench``): they print figures and ratios; they are not tests and ``make test`` never runs them."""
