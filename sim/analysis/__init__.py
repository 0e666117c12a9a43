"""Analysis of runs: the paired comparison and the per-agent reference implementation."""
