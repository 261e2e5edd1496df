"""What several benches share: their own local servers with the app pointed at them
(local_bench), the demo salon in its table, and counting the DynamoDB items its requests
read."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scripts.dynamodb_local import DynamoDBLocal

if TYPE_CHECKING:
    from scripts.mock_aws import MockAws

DEMO = Path(__file__).resolve().parents[1] / "config" / "businesses" / "demo.yaml"


def use_local_servers(dynamodb: str, *, table: str | None = None, aws: str | None = None, **extra: str) -> None:
    """The test stage on the bench's DynamoDB Local (and mock SES/SNS at `aws`), with local
    credentials; set in os.environ, so the outbox stream a bench starts inherits it too.
    `extra`: further variables (REBOOK_NOW, POWERTOOLS_METRICS_DISABLED, ...), as given."""
    env = {
        "REBOOK_STAGE": "test",
        "REBOOK_LINK_SECRET": "bench",
        "REBOOK_DYNAMODB_ENDPOINT": dynamodb,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_REGION": "eu-north-1",
        "AWS_DEFAULT_REGION": "eu-north-1",
    }
    if table is not None:  # else the bench makes its tables itself (bench/reminders.py)
        env["REBOOK_TABLE"] = table
    if aws is not None:
        env["REBOOK_AWS_ENDPOINT"] = aws
    os.environ.update(env, **extra)


def demo_salon() -> Any:
    """The table, and the demo salon (config/businesses/demo.yaml) saved in it: its Business."""
    import yaml

    from chalicelib.domain.config import parse_business_config
    from chalicelib.store.businesses import save_config
    from chalicelib.store.db import create_table

    create_table()
    business, _ = save_config(parse_business_config(yaml.safe_load(DEMO.read_text())))
    return business


# The owner's sign-in on the bench: tokens signed with keys kept in a temporary directory.
ISSUER = "rebook-bench"


def owner_auth(keys_dir: str) -> dict[str, str]:
    """use_local_servers' variables for the app to check tokens signed with `keys_dir`'s keys."""
    jwks = str(Path(keys_dir) / "jwks.json")
    return {"REBOOK_AUTH_ISSUER": ISSUER, "REBOOK_AUTH_AUDIENCE": ISSUER, "REBOOK_AUTH_JWKS_FILE": jwks}


def owner_headers(keys_dir: str, business_id: str) -> dict[str, str]:
    """The Authorization header of the business's owner, signed with `keys_dir`'s keys."""
    from chalicelib.auth.local_keys import issue_token

    token = issue_token(Path(keys_dir), business_id, "owner", issuer=ISSUER, audience=ISSUER)
    return {"Authorization": f"Bearer {token}"}


ITEMS_READ = {"n": 0, "requests": 0}


def count_items_read() -> None:
    """Count the items every DynamoDB response carries (Query/Scan Items, GetItem Item,
    BatchGetItem Responses) into ITEMS_READ, via botocore's after-call event."""
    from chalicelib import aws

    def after(parsed, model, **_):
        ITEMS_READ["requests"] += 1
        if "Items" in parsed:
            ITEMS_READ["n"] += len(parsed["Items"])
        elif "Item" in parsed:
            ITEMS_READ["n"] += 1
        elif "Responses" in parsed and model.name == "BatchGetItem":
            ITEMS_READ["n"] += sum(len(v) for v in parsed["Responses"].values())

    # The process's one session (chalicelib/aws.py), before any client is made from it.
    aws.session().register("after-call.dynamodb", after)


@dataclass
class LocalBench:
    """What local_bench yields."""

    ddb: DynamoDBLocal
    aws: MockAws | None  # the mock SES/SNS, with mock_aws=True
    business: Any  # the demo salon, with salon=True
    headers: dict[str, str] = field(default_factory=dict)  # her owner's, with owner=True

    @cached_property
    def client(self) -> Any:
        """The Chalice test client of app.py, imported on first use: only the benches that
        call the API import it (bench/waitlist.py patches the clock before anything does)."""
        from chalice.test import Client

        from app import app

        return Client(app)


@contextlib.contextmanager
def local_bench(
    table: str | None,
    *,
    count: Callable[[], None],
    mock_aws: bool = False,
    owner: bool = False,
    salon: bool = True,
    long_lived: bool = False,
    env: dict[str, str] | None = None,
) -> Iterator[LocalBench]:
    """A bench's opening: its own DynamoDB Local (and mock SES/SNS, its sender verified),
    the app pointed at them (use_local_servers, plus `env`), `count` hooked on the session
    before any client is made, then the table `table` with the demo salon in it
    (salon=False: the table only; table=None: neither, the bench makes its own).
    owner=True: the owner's sign-in, its keys in a temporary directory, and her headers."""
    with contextlib.ExitStack() as stack:
        ddb = stack.enter_context(DynamoDBLocal(long_lived=long_lived))
        aws = None
        if mock_aws:
            from scripts.mock_aws import MockAws, verify_sender

            aws = stack.enter_context(MockAws())
            verify_sender(aws.endpoint, "rebook.local")
        keys_dir = stack.enter_context(tempfile.TemporaryDirectory()) if owner else None
        extra = {**(env or {}), **(owner_auth(keys_dir) if keys_dir is not None else {})}
        use_local_servers(ddb.endpoint, table=table, aws=aws.endpoint if aws else None, **extra)
        count()
        business = None
        if table is not None and salon:
            business = demo_salon()
        elif table is not None:
            from chalicelib.store.db import create_table

            create_table()
        headers = owner_headers(keys_dir, business.id) if keys_dir is not None and business is not None else {}
        yield LocalBench(ddb, aws, business, headers)
