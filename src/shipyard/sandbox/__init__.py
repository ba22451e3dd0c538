"""The sandbox: local stand-ins for every outside service, for offline releases."""
