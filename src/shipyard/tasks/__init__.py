"""Shipyard's Invoke collections, assembled into the root namespace `tasks.py` loads."""

from invoke import Collection

from shipyard.tasks import (
    backup,
    ci,
    config_,
    lock,
    parity,
    release,
    rotate,
    sandbox,
    secrets,
    steps,
)

namespace = Collection()
namespace.add_task(config_.config)
namespace.add_task(release.release)
namespace.add_task(release.rollback)
namespace.add_task(release.releases)
namespace.add_task(parity.parity)
namespace.add_task(parity.lint)
namespace.add_collection(ci.ci)
namespace.add_collection(backup.backup)
namespace.add_task(rotate.rotate)
namespace.add_collection(secrets.secrets)
namespace.add_collection(steps.build)
namespace.add_collection(steps.push)
namespace.add_collection(steps.deploy)
namespace.add_collection(lock.lock)
namespace.add_collection(sandbox.sandbox)
