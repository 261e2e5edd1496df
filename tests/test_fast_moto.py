"""tests/fast_moto.py keeps moto's answers: a failed transaction leaves the table and its
stream as they were (only what it touches is backed up), a successful one writes all."""

from __future__ import annotations

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from moto import mock_aws

REGION = "eu-north-1"


@pytest.fixture
def table():
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name=REGION)
        ddb.create_table(
            TableName="t",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )
        for sk, n in (("a", "1"), ("b", "2"), ("c", "3"), ("d", "4")):
            ddb.put_item(TableName="t", Item={"pk": {"S": "BIZ"}, "sk": {"S": sk}, "n": {"N": n}})
        yield ddb


def state(ddb) -> tuple[list, list]:
    items = sorted(ddb.scan(TableName="t", ConsistentRead=True)["Items"], key=lambda i: (i["pk"]["S"], i["sk"]["S"]))
    # (moto knows only the regional endpoint, not the account's)
    streams = boto3.client("dynamodbstreams", region_name=REGION, config=Config(account_id_endpoint_mode="disabled"))
    arn = ddb.describe_table(TableName="t")["Table"]["LatestStreamArn"]
    records = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")
        records += [
            (r["eventName"], r["dynamodb"]["Keys"])
            for r in streams.get_records(ShardIterator=it["ShardIterator"])["Records"]
        ]
    return items, records


def ops(last_condition: str) -> list[dict]:
    key = lambda sk: {"pk": {"S": "BIZ"}, "sk": {"S": sk}}  # noqa: E731
    return [
        {"Put": {"TableName": "t", "Item": {**key("new"), "n": {"N": "9"}}}},
        {"Put": {"TableName": "t", "Item": {**key("a"), "n": {"N": "10"}}}},
        {
            "Update": {
                "TableName": "t",
                "Key": key("b"),
                "UpdateExpression": "SET n = n + :one, extra = :x",
                "ExpressionAttributeValues": {":one": {"N": "1"}, ":x": {"S": "x"}},
            }
        },
        {"Delete": {"TableName": "t", "Key": key("c")}},
        {
            "Update": {
                "TableName": "t",
                "Key": key("new2"),
                "UpdateExpression": "SET n = :x",
                "ExpressionAttributeValues": {":x": {"N": "5"}},
            }
        },
        {"ConditionCheck": {"TableName": "t", "Key": key("d"), "ConditionExpression": last_condition}},
    ]


@pytest.mark.parametrize("failing_at", ["the last item", "a later item's validation"])
def test_a_failed_transaction_leaves_the_items_and_the_stream_as_they_were(table, failing_at):
    before = state(table)
    items = ops("attribute_not_exists(pk)")  # "d" exists: the check fails after four writes
    if failing_at != "the last item":
        items[-1] = {
            "Update": {
                "TableName": "t",
                "Key": {"pk": {"S": "BIZ"}, "sk": {"S": "b"}},
                "UpdateExpression": "SET n = :x",
            }
        }
    with pytest.raises(ClientError):
        table.transact_write_items(TransactItems=items)
    assert state(table) == before


def test_a_transaction_that_holds_writes_every_item(table):
    before_items, before_records = state(table)
    table.transact_write_items(TransactItems=ops("attribute_exists(pk)"))
    items, records = state(table)
    assert {i["sk"]["S"]: i["n"]["N"] for i in items} == {"a": "10", "b": "3", "d": "4", "new": "9", "new2": "5"}
    written = records[len(before_records) :]
    assert {r[1]["sk"]["S"] for r in written} == {"new", "a", "b", "c", "new2"}
    assert ("REMOVE", {"pk": {"S": "BIZ"}, "sk": {"S": "c"}}) in written


def test_an_item_past_dynamodbs_400_kb_is_still_refused_and_one_under_it_kept(table):
    key = {"pk": {"S": "BIZ"}, "sk": {"S": "big"}}
    # Three attributes of 140 000 bytes: each alone fits, together past the limit.
    too_big = {**key, **{f"part{i}": {"S": "x" * 140_000} for i in range(3)}}
    with pytest.raises(ClientError, match="Item size has exceeded the maximum allowed size"):
        table.put_item(TableName="t", Item=too_big)
    table.put_item(TableName="t", Item={**key, "part0": {"S": "x" * 390_000}})
    assert len(table.get_item(TableName="t", Key=key)["Item"]["part0"]["S"]) == 390_000


def test_values_are_read_and_updated_as_sent_binary_and_nested_ones_too(table):
    key = {"pk": {"S": "BIZ"}, "sk": {"S": "mixed"}}
    item = {
        **key,
        "blob": {"B": b"\x00\xffrebook"},
        "blobs": {"BS": [b"\x01", b"\x02"]},
        "card": {"M": {"stamps": {"N": "3"}, "tags": {"SS": ["a", "b"]}, "inner": {"M": {"raw": {"B": b"\x07"}}}}},
        "visits": {"L": [{"S": "2026-12-01"}, {"NULL": True}, {"BOOL": False}]},
    }
    table.put_item(TableName="t", Item=item)
    table.update_item(
        TableName="t",
        Key=key,
        UpdateExpression="SET visits = list_append(visits, :more), card.stamps = card.stamps + :one, "
        "fresh = if_not_exists(fresh, :zero) ADD seen :one REMOVE blobs",
        ExpressionAttributeValues={":more": {"L": [{"S": "2026-12-05"}]}, ":one": {"N": "1"}, ":zero": {"N": "0"}},
    )
    got = table.get_item(TableName="t", Key=key)["Item"]
    assert got["blob"] == {"B": b"\x00\xffrebook"} and "blobs" not in got
    assert got["card"]["M"]["stamps"] == {"N": "4"} and got["card"]["M"]["inner"] == {"M": {"raw": {"B": b"\x07"}}}
    assert got["visits"]["L"] == [{"S": "2026-12-01"}, {"NULL": True}, {"BOOL": False}, {"S": "2026-12-05"}]
    assert (got["fresh"], got["seen"]) == ({"N": "0"}, {"N": "1"})
