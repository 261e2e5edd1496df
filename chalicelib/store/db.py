"""Connection setup and the table definition (the only place that creates it)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from itertools import islice
from typing import Any, TypeVar

from chalicelib import aws
from chalicelib.settings import Settings, get_settings
from chalicelib.store import faults, models

_configured_for: tuple[str, str | None, str] | None = None

T = TypeVar("T")
# Partitions of a time-bucketed index asked at once: a job catching up after a gap asks
# one Query per hour and shard (a day is 192), and each mostly waits on the network.
BUCKETS_IN_FLIGHT = 8


def configure(settings: Settings | None = None) -> None:
    """Point every model at the configured table and endpoint (idempotent)."""
    global _configured_for
    s = settings or get_settings()
    key = (s.table_name, s.dynamodb_endpoint, s.region)
    if key == _configured_for:
        return
    if s.dynamodb_endpoint:
        # DynamoDB Local accepts any credentials but botocore insists on having some.
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    client = dynamodb_client(s)
    for model in models.ALL_MODELS:
        model.Meta.table_name = s.table_name
        model.Meta.host = s.dynamodb_endpoint
        model.Meta.region = s.region
        model._connection = None
        # PynamoDB gives each model a botocore session and client of its own; they all
        # use the process's one instead (PynamoDB has no setting for it: its Connection
        # uses `_client` when set; tests/test_aws.py checks that it still does).
        model._get_connection().connection._client = client
    _configured_for = key


STREAM = {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}


def table_definition(table_name: str) -> dict[str, Any]:
    """CreateTable arguments: on-demand, overloaded keys, five sparse-friendly GSIs, and
    a stream of new images (the outbox stream sends new messages from it:
    chalicelib/services/outbox_stream.py)."""
    attrs = [{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk")]
    gsis = []
    for name in models.INDEXES:
        attrs += [
            {"AttributeName": f"{name}pk", "AttributeType": "S"},
            {"AttributeName": f"{name}sk", "AttributeType": "S"},
        ]
        gsis.append(
            {
                "IndexName": models.index_name(name),
                "KeySchema": [
                    {"AttributeName": f"{name}pk", "KeyType": "HASH"},
                    {"AttributeName": f"{name}sk", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        )
    return {
        "TableName": table_name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": attrs,
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        "GlobalSecondaryIndexes": gsis,
        "StreamSpecification": STREAM,
    }


def dynamodb_client(settings: Settings | None = None) -> Any:
    """The process's DynamoDB client, configured as PynamoDB configures its own."""
    from botocore.config import Config

    s = settings or get_settings()
    config = Config(
        parameter_validation=False,  # PynamoDB builds the requests itself
        connect_timeout=15,
        read_timeout=30,
        retries={"total_max_attempts": 4, "mode": "standard"},
        # Shared by every model and thread now: room for each of the outbox's senders.
        max_pool_connections=max(10, s.send_workers),
    )
    return aws.client("dynamodb", region=s.region, endpoint_url=s.dynamodb_endpoint, config=config)


def create_table(settings: Settings | None = None) -> bool:
    """Create the table if it does not exist; returns True when it was created."""
    s = settings or get_settings()
    configure(s)
    client = dynamodb_client(s)
    existing = client.list_tables().get("TableNames", [])
    if s.table_name in existing:
        # A table made before the outbox stream (a local stack's .local/ data): add it.
        if not client.describe_table(TableName=s.table_name)["Table"].get("StreamSpecification"):
            client.update_table(TableName=s.table_name, StreamSpecification=STREAM)
        return False
    client.create_table(**table_definition(s.table_name))
    client.get_waiter("table_exists").wait(TableName=s.table_name)
    try:
        client.update_time_to_live(
            TableName=s.table_name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"}
        )
    except client.exceptions.ClientError:  # pragma: no cover - some emulators lack TTL
        pass
    return True


def batch_get(wanted: list[tuple[str, str]], consistent: bool = False) -> dict[tuple[str, str], dict[str, Any]]:
    """Items of any kind by (pk, sk), raw, in as few BatchGetItem requests as DynamoDB
    allows (100 keys each; unprocessed keys are asked again): what lets a booking read
    its client's contact keys and its day sheets in one request."""
    configure()
    connection = models.DaySheetItem._get_connection()
    table = models.DaySheetItem.Meta.table_name
    found: dict[tuple[str, str], dict[str, Any]] = {}
    pending = [{"pk": {"S": pk}, "sk": {"S": sk}} for pk, sk in dict.fromkeys(wanted)]
    while pending:
        page, pending = pending[:100], pending[100:]
        rounds = 0
        while page:
            # Keys given as AttributeValue maps pass through as they are (PynamoDB types them as str).
            data = connection.batch_get_item(page, consistent_read=consistent)  # type: ignore[arg-type]
            for raw in data.get("Responses", {}).get(table, []):
                found[(raw["pk"]["S"], raw["sk"]["S"])] = raw
            page = data.get("UnprocessedKeys", {}).get(table, {}).get("Keys", [])
            if page:  # throttled in part: ask again after a jittered pause, a bounded number of times
                if rounds == faults.TX_ATTEMPTS:
                    raise faults.DatabaseBusy("read", "UnprocessedKeys")
                faults.pause(rounds)
                rounds += 1
    return found


def query_buckets(buckets: Iterable[str], query: Callable[[str], Iterable[T]]) -> Iterator[T]:
    """Everything `query` finds in each partition, several partitions at a time, in the
    order of `buckets`; at most a few batches of results are held at once."""
    configure()
    pending = iter(buckets)
    with ThreadPoolExecutor(max_workers=BUCKETS_IN_FLIGHT) as pool:
        while batch := list(islice(pending, BUCKETS_IN_FLIGHT * 4)):
            for found in pool.map(lambda bucket: list(query(bucket)), batch):
                yield from found
