"""Policy: scenarios, lever types, their runtime, the service pipeline and venues."""
