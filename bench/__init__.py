"""Benchmarks for casehub, run with `make bench` (`python -m bench`).

Each benchmark prints its figures beside a baseline measured in the same run,
because the machines it runs on are shared and their speed drifts.
"""
