"""Shipyard: release and reliability tasks for a Next.js + Django stack, built on Invoke."""

__version__ = "0.1.0"
