"""Secrets: where their values are kept and how they are read."""
