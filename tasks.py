"""Invoke entry point: the root collection is assembled from Shipyard's own."""

from shipyard.tasks import namespace as ns  # noqa: F401
