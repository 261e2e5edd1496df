"""The outbox stream on one machine: read the table's stream (DynamoDB Local's, or moto's
in the tests) and hand each batch to the same trigger Lambda runs (app.send_from_outbox).

    .venv/bin/python -m scripts.outbox_stream [--interval 0.1] [--idle-interval 0.8]

`make run` starts it beside the API (scripts/local_stack.py). It reads every shard from
where it left off, as Lambda's event source mapping does, and passes the records on in
the shape Lambda gives them; the trigger ignores what is not a new pending message. It
reads each shard from its start (DynamoDB keeps 24 hours): a booking made while it was
still starting is sent as soon as it runs, and a record handed over again sends nothing
twice (the claim is a conditional write).
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime
from typing import Any

BATCH = 100  # records per GetRecords (Lambda's batch size is set in app.py)
SHARDS_EVERY = 5.0  # seconds between looks for new shards (DynamoDB rotates them every few hours)


class StreamReader:
    """Reads a table's stream from where it left off, shard by shard."""

    def __init__(self, table_name: str, streams: Any, dynamodb: Any, start: str = "TRIM_HORIZON"):
        self.table_name, self.streams, self.dynamodb = table_name, streams, dynamodb
        self.start = start  # for the shards open when reading begins; later shards from their start
        self.arn: str | None = None
        self.iterators: dict[str, str | None] = {}  # shard id -> next iterator (None: closed, read out)
        self._shards_seen_at = float("-inf")

    def _shards(self) -> None:
        # Each poll reads the open shards only; new shards are looked for now and then.
        if time.monotonic() - self._shards_seen_at < SHARDS_EVERY:
            return
        self._shards_seen_at = time.monotonic()
        if self.arn is None:
            self.arn = self.dynamodb.describe_table(TableName=self.table_name)["Table"].get("LatestStreamArn")
            if self.arn is None:
                raise RuntimeError(f"table {self.table_name} has no stream (chalicelib/store/db.py enables it)")
        first = not self.iterators
        shards, kwargs = [], {"StreamArn": self.arn}
        while True:
            page = self.streams.describe_stream(**kwargs)["StreamDescription"]
            shards += page.get("Shards", [])
            if not page.get("LastEvaluatedShardId"):
                break
            kwargs["ExclusiveStartShardId"] = page["LastEvaluatedShardId"]
        for shard in shards:
            sid = shard["ShardId"]
            if sid in self.iterators:
                continue
            open_now = "EndingSequenceNumber" not in shard.get("SequenceNumberRange", {})
            kind = self.start if first and open_now else "TRIM_HORIZON"
            if first and not open_now and self.start == "LATEST":
                self.iterators[sid] = None  # read out before we started
                continue
            self.iterators[sid] = self.streams.get_shard_iterator(
                StreamArn=self.arn, ShardId=sid, ShardIteratorType=kind
            )["ShardIterator"]

    def read(self) -> list[dict[str, Any]]:
        """The records written since the last read, in Lambda's event shape."""
        self._shards()
        records: list[dict[str, Any]] = []
        for sid in list(self.iterators):
            while self.iterators[sid]:
                page = self.streams.get_records(ShardIterator=self.iterators[sid], Limit=BATCH)
                self.iterators[sid] = page.get("NextShardIterator")
                got = page.get("Records", [])
                records += [lambda_record(r, self.arn) for r in got]
                if not got:
                    break
        return records


def lambda_record(r: dict[str, Any], arn: str | None) -> dict[str, Any]:
    """A GetRecords record as Lambda hands it over (times as epoch seconds, the ARN)."""
    ddb = dict(r["dynamodb"])
    when = ddb.get("ApproximateCreationDateTime")
    if isinstance(when, datetime):
        ddb["ApproximateCreationDateTime"] = when.timestamp()
    elif when is None:
        ddb["ApproximateCreationDateTime"] = time.time()
    ddb.setdefault("SizeBytes", 0)
    ddb.setdefault("StreamViewType", "NEW_IMAGE")
    return {
        "eventID": r.get("eventID"),
        "eventName": r.get("eventName"),
        "eventSource": "aws:dynamodb",
        "eventVersion": r.get("eventVersion", "1.1"),
        "awsRegion": r.get("awsRegion"),
        "dynamodb": ddb,
        "eventSourceARN": arn,
    }


def deliver(records: list[dict[str, Any]]) -> dict:
    """Hand records to the trigger, as Lambda would (one invocation per batch)."""
    from app import send_from_outbox

    summary: dict = {}
    for i in range(0, len(records), BATCH):
        for k, v in (send_from_outbox({"Records": records[i : i + BATCH]}, None) or {}).items():
            summary[k] = summary.get(k, 0) + v
    return summary


def reader_for_settings(start: str = "TRIM_HORIZON") -> StreamReader:
    from botocore.config import Config

    from chalicelib import aws
    from chalicelib.settings import get_settings
    from chalicelib.store.db import dynamodb_client

    s = get_settings()
    # Regional endpoint, not the account's (moto knows only the regional one).
    config = Config(account_id_endpoint_mode="disabled")
    streams = aws.client("dynamodbstreams", region=s.region, endpoint_url=s.dynamodb_endpoint, config=config)
    return StreamReader(s.table_name, streams, dynamodb_client(s), start)


# An idle stack polls less often: every `interval` while records come, then twice as
# long after each empty poll up to this (ten polls a second cost an idle stack ~4 % of a
# core, DynamoDB Local's share included; a browser test run keeps several stacks up).
IDLE_INTERVAL = 0.8


def next_wait(wait: float, had_records: bool, interval: float, idle_interval: float) -> float:
    return interval if had_records else max(interval, min(wait * 2, idle_interval))


def run(interval: float = 0.1, start: str = "TRIM_HORIZON", idle_interval: float = IDLE_INTERVAL) -> None:
    """Poll until interrupted; a failed poll is reported and tried again. `start`
    LATEST: only what is written from now on (a bench that seeded the table first)."""
    first = reader_for_settings(start)
    print(
        f"outbox stream: reading {first.table_name}'s stream every {interval:g} s "
        f"({max(interval, idle_interval):g} s when idle)",
        flush=True,
    )
    reader: StreamReader | None = first
    wait = interval
    while True:
        try:
            # After a failed poll the shards are read again (an expired iterator); that
            # may fail too while the database is busy: it is tried again, never given up.
            reader = reader or reader_for_settings()
            records = reader.read()
            if records:
                summary = deliver(records)
                if summary:
                    print(f"outbox stream: {summary}", flush=True)
            wait = next_wait(wait, bool(records), interval, idle_interval)
        except Exception as e:  # keep polling
            print(f"outbox stream: {type(e).__name__}: {e}", file=sys.stderr, flush=True)
            reader = None
            time.sleep(1)
        time.sleep(wait)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--interval", type=float, default=0.1, help="seconds between polls")
    parser.add_argument(
        "--idle-interval", type=float, default=IDLE_INTERVAL, help="longest wait between polls while nothing comes"
    )
    parser.add_argument("--from-now", action="store_true", help="skip what the stream holds already")
    args = parser.parse_args(argv)
    try:
        run(args.interval, "LATEST" if args.from_now else "TRIM_HORIZON", args.idle_interval)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
