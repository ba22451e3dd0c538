"""The tasks.py of the rotation tests' project: Shipyard's root namespace, plus the
secrets and rotate tasks until shipyard.tasks registers them itself."""

from shipyard.tasks import namespace as ns
from shipyard.tasks import rotate, secrets

if "rotate" not in ns.tasks:
    ns.add_task(rotate.rotate)
if "secrets" not in ns.collections:
    ns.add_collection(secrets.secrets)
