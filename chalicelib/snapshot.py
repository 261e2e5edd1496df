"""Lambda SnapStart: what must not be frozen into a snapshot, and what a restored copy
must make fresh.

With SnapStart, Lambda runs the init (app.py's import) once per published version,
snapshots the memory, and starts every later execution environment from that snapshot.
So, before the snapshot: forget the link-signing secret (it would sit in the snapshot;
it is read again, lazily, on first use after the restore). After each restore: re-seed
`random` (every copy would otherwise draw the same jitter and the same ids from the
snapshot's state), drop caches keyed on time.monotonic (the clock of the snapshotted
process, meaningless in the restored one), and drop the AWS clients, whose open
connections died with the snapshotting machine (the parsed botocore session stays).

The hooks are registered through the runtime's `snapshot_restore_py` (Python 3.12+
managed runtimes); anywhere else (tests, the local stack, an older runtime) there is
nothing to register and `register()` says so.
"""

from __future__ import annotations

import os
import random


def before_snapshot() -> None:
    """Nothing secret in the snapshot."""
    from chalicelib import links

    links.forget_secret()


def after_restore() -> None:
    """A restored copy starts with fresh randomness, caches and connections."""
    from chalicelib import aws
    from chalicelib.auth import jwt_verify
    from chalicelib.store import businesses

    random.seed(os.urandom(32))
    businesses.clear_cache()  # entries stamped with the snapshot's monotonic clock
    jwt_verify.reset()
    aws.reset()


def register() -> bool:
    """Register the hooks with the Lambda runtime; False where there is no such runtime."""
    try:
        from snapshot_restore_py import register_after_restore, register_before_snapshot
    except ImportError:
        return False
    register_before_snapshot(before_snapshot)
    register_after_restore(after_restore)
    return True
