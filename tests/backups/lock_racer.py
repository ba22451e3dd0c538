"""One contender in the S3 lock race: waits for the agreed moment, tries to take
the lock, and prints what happened as JSON."""

from __future__ import annotations

import json
import sys
import time

from shipyard.errors import LockHeld
from shipyard.providers.s3 import s3_client
from shipyard.redaction import Secret
from shipyard.s3_state import S3LockStore


def main() -> None:
    endpoint, bucket, env, holder, start_at = sys.argv[1:6]
    s3 = s3_client(endpoint, "us-east-1", Secret("sandbox-access-key-id"), Secret("sandbox-secret-access-key"))
    store = S3LockStore(s3, bucket, "shipyard")
    s3.head_bucket(Bucket=bucket)
    time.sleep(max(0.0, float(start_at) - time.time()))
    try:
        info = store.acquire(env, holder, "race", ttl_seconds=60)
    except LockHeld as held:
        print(json.dumps({"holder": holder, "won": False, "message": str(held)}))
        return
    print(json.dumps({"holder": holder, "won": True, "token": info.token}))


if __name__ == "__main__":
    main()
