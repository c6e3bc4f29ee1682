"""Placeholder until built: the order's Messenger actions (A4 "Turn off", A9 "Retry")."""
from . import bp  # noqa: F401
