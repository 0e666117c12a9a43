"""The weekly engine: model, state, processes, survey and recorder."""
