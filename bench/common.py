"""What several benches share: pointing the app at the bench's own local servers, the
demo salon in its table, and counting the DynamoDB items its requests read."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

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
