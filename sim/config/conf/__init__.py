"""Packaged Hydra configuration (config.yaml and the region group)."""
