"""Scenario and policy-package library (YAML files, one per scenario, with ja/en text)."""
