"""liveevent: live-stream recruitment events."""

__version__ = "0.1.0"
