"""What several benches share: pointing the app at the bench's own local servers."""

from __future__ import annotations

import os


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
