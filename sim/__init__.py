"""tsunagari: agent-based simulation of community ties and loneliness in Japanese municipalities."""

__version__ = "0.1.0"
