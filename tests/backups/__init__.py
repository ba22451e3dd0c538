"""Backups to S3, the shared lock and ledger, and the sandbox S3 server."""
