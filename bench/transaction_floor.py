"""What DynamoDB Local charges for the shape of a booking, apart from Rebook's code: a
single-item conditional TransactWriteItems (bench/booking.py's raw write) against a
6-item one (a new client's booking while its plan was an item of its own) and a 7-key
consistent BatchGetItem (what a booking reads), on a bare table, with a stream, with five
indexes (two index entries per item), and with both (Rebook's table); on Rebook's table
also the 5-item transaction a new client's booking is now (its plan on the appointment),
and the 6-item one asking for its consumed capacity, as PynamoDB does unless told not
to. Interleaved, medians after a warm-up.

    .venv/bin/python bench/transaction_floor.py [--rounds 250]

Starts its own DynamoDB Local (long-lived JVM settings, as bench/booking.py); prints one
`bench:` line last.
"""

from __future__ import annotations

import argparse
import statistics
import time

import boto3

from bench.booking import raw_write
from scripts.dynamodb_local import LOCAL_CREDENTIALS, DynamoDBLocal

TABLES = {"bare": (False, 0), "stream": (True, 0), "indexes": (False, 5), "stream_indexes": (True, 5)}


def create(client, name: str, stream: bool, indexes: int) -> None:
    keys = [("pk", "HASH"), ("sk", "RANGE")]
    attrs = [{"AttributeName": a, "AttributeType": "S"} for a, _ in keys]
    attrs += [{"AttributeName": f"g{i}{k}", "AttributeType": "S"} for i in range(1, indexes + 1) for k in ("pk", "sk")]
    spec: dict = {
        "TableName": name,
        "KeySchema": [{"AttributeName": a, "KeyType": t} for a, t in keys],
        "AttributeDefinitions": attrs,
        "BillingMode": "PAY_PER_REQUEST",
    }
    if indexes:
        spec["GlobalSecondaryIndexes"] = [
            {
                "IndexName": f"gsi{i}",
                "KeySchema": [
                    {"AttributeName": f"g{i}pk", "KeyType": "HASH"},
                    {"AttributeName": f"g{i}sk", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
            for i in range(1, indexes + 1)
        ]
    if stream:
        spec["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    client.create_table(**spec)
    for i in range(7):
        client.put_item(TableName=name, Item={"pk": {"S": f"READ{i}"}, "sk": {"S": "x"}, "v": {"S": "y" * 300}})


def item(name: str, key: str, indexed: bool) -> dict:
    """One of a booking's items: 800 bytes, and two index entries on an indexed table."""
    found = {"pk": {"S": key}, "sk": {"S": "ITEM"}, "v": {"S": "x" * 800}}
    if indexed:  # two index entries, as a booking's items have on average
        found |= {f"g{i}{k}": {"S": f"{key}#{i}{k}"} for i in (1, 2) for k in ("pk", "sk")}
    return {"Put": {"TableName": name, "Item": found, "ConditionExpression": "attribute_not_exists(pk)"}}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=250)
    parser.add_argument("--warmup", type=int, default=80)
    args = parser.parse_args()
    times: dict[str, list[float]] = {}

    def timed(label: str, call, **kw) -> None:
        t0 = time.perf_counter()
        call(**kw)
        times.setdefault(label, []).append(time.perf_counter() - t0)

    with DynamoDBLocal(long_lived=True) as ddb:
        client = boto3.client("dynamodb", endpoint_url=ddb.endpoint, region_name="eu-north-1", **LOCAL_CREDENTIALS)
        for name, (stream, indexes) in TABLES.items():
            create(client, name, stream, indexes)
        for r in range(args.warmup + args.rounds):
            if r == args.warmup:
                times.clear()
            for name, (_, indexes) in TABLES.items():
                times.setdefault(f"{name} raw", []).append(raw_write(client, r, name))
                timed(
                    f"{name} tx6",
                    client.transact_write_items,
                    TransactItems=[item(name, f"T{r}#{j}", bool(indexes)) for j in range(6)],
                )
                if name == "stream_indexes":  # a new client's booking now: its plan on the appointment
                    timed(
                        f"{name} tx5",
                        client.transact_write_items,
                        TransactItems=[item(name, f"F{r}#{j}", True) for j in range(5)],
                    )
                if name == "stream_indexes":  # what PynamoDB asks unless told not to (store/db.py)
                    timed(
                        f"{name} tx6 capacity",
                        client.transact_write_items,
                        TransactItems=[item(name, f"C{r}#{j}", True) for j in range(6)],
                        ReturnConsumedCapacity="TOTAL",
                    )
                keys = [{"pk": {"S": f"READ{i}"}, "sk": {"S": "x"}} for i in range(7)]
                timed(
                    f"{name} get7",
                    client.batch_get_item,
                    RequestItems={name: {"Keys": keys, "ConsistentRead": True}},
                )
    median = {k: statistics.median(v) for k, v in times.items()}
    ratios = {}
    for name in TABLES:
        raw = median[f"{name} raw"]
        ratios[name] = (median[f"{name} tx6"] / raw, median[f"{name} get7"] / raw)
        print(
            f"{name:15} raw {raw * 1000:.2f} ms, 6-item tx {median[f'{name} tx6'] * 1000:.2f} ms "
            f"({ratios[name][0]:.2f}x), 7-key BatchGetItem {median[f'{name} get7'] * 1000:.2f} ms ({ratios[name][1]:.2f}x)"
        )
    capacity = median["stream_indexes tx6 capacity"] / median["stream_indexes raw"]
    tx5 = median["stream_indexes tx5"] / median["stream_indexes raw"]
    print(f"the 5-item transaction (a new client's booking, its plan on the appointment): {tx5:.2f}x")
    print(
        f"the same 6-item tx asking for its consumed capacity (PynamoDB's default): "
        f"{median['stream_indexes tx6 capacity'] * 1000:.2f} ms ({capacity:.2f}x)"
    )
    print(
        f"bench: tx6_ratio_bare={ratios['bare'][0]:.2f} tx6_ratio_rebook_table={ratios['stream_indexes'][0]:.2f} "
        f"tx5_ratio_rebook_table={tx5:.2f} "
        f"tx6_capacity_ratio_rebook_table={capacity:.2f} get7_ratio_rebook_table={ratios['stream_indexes'][1]:.2f}"
    )


if __name__ == "__main__":
    main()
