"""The restore procedure of docs/deploy.md ("Backups and restore"), step by step, on moto:
restore to a new table, give it back what a restore does not copy (TTL, point-in-time
recovery, deletion protection), check it has every index the app queries, point the app
at it with REBOOK_TABLE (what the stage's `table_name` sets in AWS, tests/infra/
test_stack.py) and find the booking made before the restore through the public API."""

from __future__ import annotations

from tests.api.helpers import book, get, token_of

RESTORED = "rebook-test-restored-20261123"


def test_a_restored_table_serves_the_app_after_the_documented_steps(client, monkeypatch):
    from chalicelib.store import db

    status, booked = book(client, "2026-11-25T12:00:00+02:00")
    assert status == 201, booked
    ddb = db.dynamodb_client()
    source = "rebook-test"
    ddb.update_continuous_backups(
        TableName=source, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )

    # 1. Restore to a new table (the same call as `aws dynamodb restore-table-to-point-in-time`).
    ddb.restore_table_to_point_in_time(SourceTableName=source, TargetTableName=RESTORED, UseLatestRestorableTime=True)
    ddb.get_waiter("table_exists").wait(TableName=RESTORED)
    # 2. What a restore does not bring along: TTL, PITR, deletion protection.
    ddb.update_time_to_live(
        TableName=RESTORED, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"}
    )
    ddb.update_continuous_backups(
        TableName=RESTORED, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    # 3. Check: the keys and every index the app queries, TTL and PITR on.
    wanted = db.table_definition(RESTORED)
    table = ddb.describe_table(TableName=RESTORED)["Table"]
    assert table["KeySchema"] == wanted["KeySchema"]
    assert {g["IndexName"]: g["KeySchema"] for g in table["GlobalSecondaryIndexes"]} == {
        g["IndexName"]: g["KeySchema"] for g in wanted["GlobalSecondaryIndexes"]
    }
    ttl = ddb.describe_time_to_live(TableName=RESTORED)["TimeToLiveDescription"]
    assert ttl["TimeToLiveStatus"] in ("ENABLED", "ENABLING") and ttl["AttributeName"] == "expires_at"
    backups = ddb.describe_continuous_backups(TableName=RESTORED)["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"

    # 4. Point the app at it: the only setting it needs is the table's name.
    ddb.delete_table(TableName=source)  # nothing can come from the old table any more
    monkeypatch.setenv("REBOOK_TABLE", RESTORED)
    from tests.conftest import reset_caches

    reset_caches()
    # Read now: Chalice's test client runs each request with .chalice/config.json's dev
    # environment, and the settings are read once per process, as in a Lambda container.
    from chalicelib.settings import get_settings

    assert get_settings().table_name == RESTORED
    status, body = get(client, f"/api/v1/bookings/{token_of(booked['manage_url'])}")
    assert status == 200, body
    assert body["id"] == booked["id"] and body["status"] == "booked"
    status, profile = get(client, "/api/v1/businesses/demo")
    assert status == 200 and profile["slug"] == "demo"
