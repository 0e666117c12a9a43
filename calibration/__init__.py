"""Survey targets, fitting code and calibrated parameter sets."""
