"""Tests of the Koyeb stand-in: spec conformance and real deployments on Docker."""
