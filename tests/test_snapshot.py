"""SnapStart's hooks (chalicelib/snapshot.py): no link secret in the snapshot, and every
restored copy with its own randomness, caches and connections."""

from __future__ import annotations

import random
import sys
import types


def test_the_hooks_are_registered_with_the_runtime_when_it_has_them(monkeypatch):
    from chalicelib import snapshot

    assert snapshot.register() is False  # no SnapStart runtime here
    registered: dict = {}
    runtime = types.ModuleType("snapshot_restore_py")
    runtime.register_before_snapshot = lambda f: registered.setdefault("before", f)  # type: ignore[attr-defined]
    runtime.register_after_restore = lambda f: registered.setdefault("after", f)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", runtime)
    primed: list[bool] = []
    monkeypatch.setattr(snapshot, "prime", lambda: primed.append(True))
    assert snapshot.register() is True and primed == [True]  # the routes loaded at init
    assert registered == {"before": snapshot.before_snapshot, "after": snapshot.after_restore}


def test_the_link_secret_is_not_in_the_snapshot_and_is_read_again_after_it(env, monkeypatch):
    from aws_lambda_powertools.utilities import parameters

    from chalicelib import links, snapshot
    from chalicelib.settings import reset_settings

    monkeypatch.delenv("REBOOK_LINK_SECRET", raising=False)
    monkeypatch.setenv("REBOOK_LINK_SECRET_ID", "arn:aws:secretsmanager:eu-north-1:1:secret:rebook/prod/link")
    reset_settings()
    reads: list[str] = []

    def get_secret(name: str, max_age: int) -> str:
        reads.append(name)
        return f"secret-{len(reads)}"

    monkeypatch.setattr(parameters, "get_secret", get_secret)
    links.forget_secret()
    assert links.link_secret() == "secret-1"
    assert links.link_secret() == "secret-1"  # cached while the process lives
    snapshot.before_snapshot()
    assert links._secret_from_secrets_manager.cache_info().currsize == 0  # nothing left to snapshot
    assert links.link_secret() == "secret-2" and len(reads) == 2  # read again after the restore
    links.forget_secret()


def test_no_salons_stripe_keys_are_in_the_snapshot(env, monkeypatch):
    from chalicelib import snapshot
    from chalicelib.services.payments import stripe_account
    from tests.conftest import reset_caches

    monkeypatch.setenv("REBOOK_STRIPE_SECRET_PREFIX", "rebook/prod/stripe/")
    monkeypatch.setattr(
        stripe_account, "_read_secret", lambda name, now: (now + 300, stripe_account.Keys("rk", "pk", "wh"))
    )
    reset_caches()
    assert stripe_account.keys_for("b1").secret_key == "rk"
    snapshot.before_snapshot()
    assert stripe_account._keys == {}  # read again, lazily, after the restore


def test_the_snapshot_keeps_the_clients_but_no_open_connection(env):
    from chalicelib import aws, snapshot

    client = aws.client("sns", region="eu-north-1", endpoint_url="http://127.0.0.1:9")
    pool = client._endpoint.http_session._manager
    pool.connection_from_url("http://127.0.0.1:9/")  # as if a request had opened one
    assert len(pool.pools) == 1
    snapshot.before_snapshot()
    assert len(pool.pools) == 0  # closed ...
    assert aws.client("sns", region="eu-north-1", endpoint_url="http://127.0.0.1:9") is client  # ... client kept


def test_a_restored_copy_draws_its_own_random_numbers_and_drops_time_keyed_caches(env):
    from chalicelib import snapshot
    from chalicelib.store import businesses

    random.seed(42)
    frozen = random.getstate()  # what every copy of the snapshot would start from
    businesses._cache["b1"] = (0.0, None)  # stamped with the snapshot's monotonic clock
    snapshot.after_restore()
    drawn = [random.random() for _ in range(3)]
    random.setstate(frozen)
    assert drawn != [random.random() for _ in range(3)]
    assert "b1" not in businesses._cache


def test_the_init_loads_what_first_requests_need_and_leaves_nothing_open_in_the_snapshot(env):
    """prime(): a restored copy finds the modules, the phone and e-mail libraries and every
    template loaded, and the init left no file, connection or thread that a snapshot
    would not keep."""
    import os
    import threading

    from chalicelib import aws, snapshot
    from chalicelib.notify import render
    from chalicelib.pages import views

    aws.reset()
    views._env.cache_clear()
    render.environment.cache_clear()
    open_before, threads_before = set(os.listdir("/proc/self/fd")), threading.active_count()
    snapshot.prime()
    assert set(os.listdir("/proc/self/fd")) <= open_before
    assert threading.active_count() == threads_before
    assert {"phonenumbers", "email_validator", "chalicelib.services.booking.book"} <= set(sys.modules)
    for environment in (views._env(), render.environment()):
        assert len(environment.cache) == len(environment.list_templates())  # compiled
    assert {"dynamodb", "ses", "sns"} <= {service for service, *_ in aws._clients}
