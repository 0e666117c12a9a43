"""Output folders, manifests and network export."""
