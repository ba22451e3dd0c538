"""Clients for the outside systems Shipyard releases to, one module per system."""
