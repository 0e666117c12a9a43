"""Experiment configs, ensembles, policy comparison and benchmarks."""
