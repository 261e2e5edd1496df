"""Connection setup and the table definition (the only place that creates it)."""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any, Generic, TypeVar

from chalicelib import aws
from chalicelib.settings import Settings, get_settings
from chalicelib.store import faults, models

_configured_for: tuple[str, str | None, str] | None = None

T = TypeVar("T")
K = TypeVar("K")
# Partitions of a time-bucketed index asked at once: a job catching up after a gap asks
# one Query per hour and shard (a day is 192), and each mostly waits on the network.
BUCKETS_IN_FLIGHT = 8
# Partitions asked ahead of the one the caller is at (their results held until it gets
# there): the workers stay busy across hour boundaries, and memory stays bounded.
BUCKETS_AHEAD = 2 * BUCKETS_IN_FLIGHT


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
    client.meta.events.register("provide-client-params.dynamodb", _no_consumed_capacity, unique_id=_NO_CAPACITY)
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
    """CreateTable arguments: on-demand, overloaded keys, six sparse-friendly GSIs, and
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


_NO_CAPACITY = "rebook-no-consumed-capacity"


def _no_consumed_capacity(params: dict[str, Any], **_: Any) -> None:
    """PynamoDB asks every call for its consumed capacity (ReturnConsumedCapacity=TOTAL,
    with no setting to stop it); nothing here reads it, and working it out is not free:
    DynamoDB Local took 0.3-0.4x a raw write longer for a booking's 6-item transaction
    with it (bench/transaction_floor.py). Ask for none, DynamoDB's own default."""
    params.pop("ReturnConsumedCapacity", None)


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
    created = client.create_table(**table_definition(s.table_name))["TableDescription"]
    if created.get("TableStatus") != "ACTIVE":  # DynamoDB: CREATING for a while (emulators: ACTIVE at once)
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


# The process's one pool of partition readers: made on first use and kept (a warm
# Lambda container keeps it between invocations), not a pool and its threads per call.
# Its tasks only Query; they never wait on the pool themselves, so callers in several
# threads share it without deadlock (they share its BUCKETS_IN_FLIGHT connections too).
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _bucket_pool() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=BUCKETS_IN_FLIGHT, thread_name_prefix="buckets")
        return _pool


def _forget_pool() -> None:
    """A forked child has none of its parent's threads: it makes a pool of its own."""
    global _pool, _pool_lock
    _pool, _pool_lock = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_pool)


class _ReadAhead(Generic[K, T]):
    """Partitions asked in order on the process's pool, BUCKETS_IN_FLIGHT at once and at
    most BUCKETS_AHEAD ahead of the caller; each result is everything `query` found."""

    def __init__(self, keyed: Iterable[tuple[K, str]], query: Callable[[str], Iterable[T]]) -> None:
        configure()
        self._pool, self._query = _bucket_pool(), query
        self._pending = iter(keyed)
        self._window: deque[tuple[K, str, Future[list[T]]]] = deque()

    def _ask(self, bucket: str) -> Future[list[T]]:
        return self._pool.submit(lambda: list(self._query(bucket)))

    def next(self) -> tuple[K, list[T]] | None:
        for key, bucket in self._pending:
            self._window.append((key, bucket, self._ask(bucket)))
            if len(self._window) >= BUCKETS_AHEAD:
                break
        if not self._window:
            return None
        key, _, future = self._window.popleft()
        return key, future.result()

    def hold(self) -> None:
        """Ask nothing more until `again`, and wait for what is being asked: nothing of
        this reader runs while its caller writes (as when each hour was read in turn)."""
        asked = [future for _, _, future in self._window if not future.cancel()]
        wait(asked)

    def again(self, fresh: bool) -> None:
        """Go on asking; `fresh`: what was read ahead is asked again too."""
        self._window = deque(
            (key, bucket, self._ask(bucket) if fresh or future.cancelled() else future)
            for key, bucket, future in self._window
        )


def query_buckets(buckets: Iterable[str], query: Callable[[str], Iterable[T]]) -> Iterator[T]:
    """Everything `query` finds in each partition, several partitions at a time, in the
    order of `buckets`; at most BUCKETS_AHEAD partitions' results are held at once."""
    reader = _ReadAhead(((0, bucket) for bucket in buckets), query)
    try:
        while (found := reader.next()) is not None:
            yield from found[1]
    finally:
        reader.hold()  # a caller that stops early leaves nothing queued or running behind it


def query_by_hour(
    hours: Iterable[tuple[K, list[str]]], query: Callable[[str], Iterable[T]], *, writes_ahead: bool = False
) -> Iterator[tuple[K, list[T]]]:
    """Each hour (as keys.hours_of_buckets gives them, oldest first) with everything
    `query` finds in its partitions. The partitions of the hours that follow are asked
    while one is still being read (a catch-up through empty hours is not a round of
    waits per hour); what is held is the hour handed over and at most BUCKETS_AHEAD
    partitions after it. While the caller handles an hour that had something, nothing is
    read: its writes and these reads never overlap, as when each hour was read in turn.
    `writes_ahead`: handling an hour's items may put items into the hours after it (the
    outbox: a plan's messages); what was read of those is then read again, as if each
    hour was asked only when its turn came."""
    keyed = (((hour, i == len(buckets) - 1), bucket) for hour, buckets in hours for i, bucket in enumerate(buckets))
    reader = _ReadAhead(keyed, query)
    found: list[T] = []
    try:
        while (step := reader.next()) is not None:
            (hour, last), items = step
            found += items
            if not last:
                continue
            if found:  # the caller handles (writes) with nothing read meanwhile
                reader.hold()
                yield hour, found
                reader.again(fresh=writes_ahead)
            else:
                yield hour, found
            found = []
    finally:
        reader.hold()
