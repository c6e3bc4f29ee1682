"""Placeholder until built."""
