"""Tests of Shipyard's Koyeb client."""
