"""DynamoDB Local and the whole local stack, started through our launchers (needs Java 17+
and `make install`)."""

from __future__ import annotations

import subprocess
import sys

import boto3
import pytest

from scripts.dynamodb_local import REPO_ROOT, DynamoDBLocal, free_ports

pytestmark = pytest.mark.integration

TABLE = "launcher-test"
CREDS = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}


def client(endpoint: str, region: str = "eu-north-1"):
    return boto3.client("dynamodb", endpoint_url=endpoint, region_name=region, **CREDS)


def create_table(ddb) -> None:
    ddb.create_table(
        TableName=TABLE,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
    )


def test_put_and_get_in_memory():
    with DynamoDBLocal() as server:
        ddb = client(server.endpoint)
        create_table(ddb)
        ddb.put_item(TableName=TABLE, Item={"pk": {"S": "a"}, "v": {"N": "1"}})
        # -sharedDb: other credentials and regions see the same table.
        other = boto3.client(
            "dynamodb",
            endpoint_url=server.endpoint,
            region_name="us-east-1",
            aws_access_key_id="other",
            aws_secret_access_key="other",
        )
        item = other.get_item(TableName=TABLE, Key={"pk": {"S": "a"}}, ConsistentRead=True)["Item"]
        assert item == {"pk": {"S": "a"}, "v": {"N": "1"}}
    assert server.proc is None or server.proc.returncode is not None  # stopped


def test_data_persists_across_restarts(tmp_path):
    with DynamoDBLocal(db_path=tmp_path / "db") as server:
        ddb = client(server.endpoint)
        create_table(ddb)
        ddb.put_item(TableName=TABLE, Item={"pk": {"S": "kept"}})
    with DynamoDBLocal(db_path=tmp_path / "db") as server:
        item = client(server.endpoint).get_item(TableName=TABLE, Key={"pk": {"S": "kept"}})
        assert item["Item"] == {"pk": {"S": "kept"}}


def test_taken_port_fails_fast():
    with DynamoDBLocal() as server:
        with pytest.raises(RuntimeError, match="already in use"):
            DynamoDBLocal(port=server.port).start()


def test_local_stack_check_serves_demo_business(tmp_path):
    """`make run` in miniature: the whole stack comes up and serves the demo business."""
    ports = [str(p) for p in free_ports(3)]
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "scripts.local_stack",
            "--check",
            "--port",
            ports[0],
            "--ddb-port",
            ports[1],
            "--aws-port",
            ports[2],
            "--data-dir",
            str(tmp_path),
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().splitlines()[-1] == "ok"
