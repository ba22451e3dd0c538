"""Shipyard's Invoke collections, assembled into the root namespace `tasks.py` loads."""

from invoke import Collection

from shipyard.tasks import config_

namespace = Collection()
namespace.add_task(config_.config)
