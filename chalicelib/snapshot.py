"""Lambda SnapStart: what must not be frozen into a snapshot, and what a restored copy
must make fresh.

With SnapStart, Lambda runs the init (app.py's import) once per published version,
snapshots the memory, and starts every later execution environment from that snapshot.
So, before the snapshot: forget the link-signing secret and any salon's Stripe keys (they
would sit in the snapshot; each is read again, lazily, on first use after the restore). After each restore: re-seed
`random` (every copy would otherwise draw the same jitter and the same ids from the
snapshot's state), and drop caches keyed on time.monotonic (the clock of the
snapshotted process, meaningless in the restored one). The AWS clients are made during
the init and kept (that is what the snapshot saves), their pooled connections closed
before the snapshot: none would survive it.

Where SnapStart runs, the init also loads what the first requests need (`prime`: the
booking and availability routes, the phone-number and e-mail libraries, every template,
the DynamoDB, SES and SNS clients), so that a restored copy starts with it loaded
instead of loading it on its first request.

The hooks are registered through the runtime's `snapshot_restore_py` (Python 3.12+
managed runtimes); anywhere else (tests, the local stack, an older runtime) there is
nothing to register and `register()` says so.
"""

from __future__ import annotations

import os
import random


def before_snapshot() -> None:
    """Nothing secret in the snapshot, and no open connection."""
    from chalicelib import aws, links
    from chalicelib.services.payments import stripe_account

    links.forget_secret()
    stripe_account.forget_keys()
    aws.close_connections()


def after_restore() -> None:
    """A restored copy starts with fresh randomness and caches."""
    from chalicelib.auth import jwt_verify
    from chalicelib.store import businesses

    random.seed(os.urandom(32))
    businesses.clear_cache()  # entries stamped with the snapshot's monotonic clock
    jwt_verify.reset()


def prime() -> None:
    """Load what first requests need, once per version at init where SnapStart snapshots
    it: the public routes' modules; the libraries that read phone numbers and e-mail
    addresses (the business config and every booking read both), with the metadata of the
    salons' countries; every page's and message's template, compiled (the booking page,
    and the confirmation the outbox stream sends right after a booking); the DynamoDB,
    SES and SNS clients (no request is made). Nothing is opened that a snapshot would
    not keep: no connection, no file left open, no thread. Never fails the init."""
    import importlib

    try:
        for name in (
            "chalicelib.services.booking.availability",
            "chalicelib.services.booking.book",
            "chalicelib.services.booking.profile",
        ):
            importlib.import_module(name)
        from chalicelib.domain import contacts

        contacts.normalize_phone("+358 40 123 4567")  # phonenumbers, with Finland's and
        contacts.normalize_phone("+46 70 123 45 67")  # Sweden's metadata
        contacts.normalize_email("prime@example.com")  # email_validator, idna
        from chalicelib.notify import channels, render
        from chalicelib.pages import views
        from chalicelib.store import db

        views.compile_templates()
        render.compile_templates()

        db.configure()
        channels.make_clients()
    except Exception:  # pragma: no cover - the first request loads it instead
        pass


def register() -> bool:
    """Register the hooks with the Lambda runtime; False where there is no such runtime."""
    try:
        from snapshot_restore_py import register_after_restore, register_before_snapshot
    except ImportError:
        return False
    register_before_snapshot(before_snapshot)
    register_after_restore(after_restore)
    prime()
    return True
