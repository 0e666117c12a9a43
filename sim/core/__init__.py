"""Core vocabulary: declared parameters, random streams, codes, labels, files, YAML, processes."""
