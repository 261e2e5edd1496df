"""The CDK app, synthesized for real (`make synth`: the pinned aws-cdk CLI, no AWS
credentials, cfn-lint on both templates), then checked with CDK assertions: the table
with every index, TTL, PITR and prod deletion protection; least-privilege IAM; every
function and schedule; Cognito; SES; SMS preferences; throttling, gateway errors in our
shape and the prod WAF; alarms; log retention."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def templates():
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    run = subprocess.run(
        [str(ROOT / "scripts" / "synth.sh")], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "cfn-lint: no errors" in run.stdout
    return {
        stage: json.loads((ROOT / "infra" / "cdk.out" / stage / f"rebook-{stage}.template.json").read_text())
        for stage in ("dev", "prod")
    }


def template(templates, stage):
    from aws_cdk.assertions import Template

    return Template.from_json(templates[stage])


def only(t, type_, props=None) -> tuple[str, dict]:
    found = t.find_resources(type_, {"Properties": props} if props else None)
    assert len(found) == 1, f"{len(found)} {type_}"
    return next(iter(found.items()))


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_the_table_has_every_index_ttl_and_point_in_time_recovery(templates, stage):
    from aws_cdk.assertions import Match

    from chalicelib.store.models import INDEXES, index_name

    t = template(templates, stage)
    t.has_resource(
        "AWS::DynamoDB::Table",
        {
            "Properties": {
                "TableName": f"rebook-{stage}",
                "BillingMode": "PAY_PER_REQUEST",
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                "GlobalSecondaryIndexes": [
                    Match.object_like(
                        {
                            "IndexName": index_name(i),
                            "KeySchema": [
                                {"AttributeName": f"{i}pk", "KeyType": "HASH"},
                                {"AttributeName": f"{i}sk", "KeyType": "RANGE"},
                            ],
                        }
                    )
                    for i in INDEXES
                ],
                "TimeToLiveSpecification": {"AttributeName": "expires_at", "Enabled": True},
                "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
                "DeletionProtectionEnabled": stage == "prod",
            },
            "DeletionPolicy": "Retain" if stage == "prod" else "Delete",
        },
    )


def statements(t) -> dict:
    _, policy = only(
        t,
        "AWS::IAM::Policy",
        {
            "Roles": [
                {
                    "Ref": next(
                        iter(
                            t.find_resources(
                                "AWS::IAM::Role",
                                {
                                    "Properties": {
                                        "Description": "Rebook's functions: this table, this secret, this mail identity, SMS."
                                    }
                                },
                            )
                        )
                    )
                }
            ]
        },
    )
    return {s["Sid"]: s for s in policy["Properties"]["PolicyDocument"]["Statement"]}


def test_the_functions_may_touch_only_their_table_secret_and_mail_identity(templates):
    t = template(templates, "prod")
    s = statements(t)
    table = s["Table"]
    assert "dynamodb:Scan" not in table["Action"] and "dynamodb:*" not in table["Action"]
    assert table["Resource"] == [
        {"Fn::GetAtt": ["Table", "Arn"]},
        {"Fn::Join": ["", [{"Fn::GetAtt": ["Table", "Arn"]}, "/index/*"]]},
    ]
    assert sorted(s["Mail"]["Action"]) == ["ses:SendEmail", "ses:SendRawEmail"]
    assert s["Mail"]["Condition"] == {"StringEquals": {"ses:FromAddress": "bookings@example.com"}}
    assert any("identity/example.com" in json.dumps(r) for r in s["Mail"]["Resource"])
    assert s["Sms"]["Action"] == "sns:Publish" and s["NoTopics"]["Effect"] == "Deny"
    assert s["LinkSecret"] == {
        "Action": "secretsmanager:GetSecretValue",
        "Effect": "Allow",
        "Sid": "LinkSecret",
        "Resource": {"Ref": next(iter(t.find_resources("AWS::SecretsManager::Secret")))},
    }
    assert not any(
        st.get("Resource") == "*" and st["Effect"] == "Allow" and st["Sid"] not in ("Sms", "SmsOptOut")
        for st in s.values()
    )


def test_every_function_runs_as_that_role_and_every_job_on_its_schedule(templates):
    from chalicelib.jobs.schedule import JOBS

    t = template(templates, "dev")
    functions = t.find_resources("AWS::Serverless::Function")
    role = next(
        iter(
            t.find_resources(
                "AWS::IAM::Role",
                {
                    "Properties": {
                        "Description": "Rebook's functions: this table, this secret, this mail identity, SMS."
                    }
                },
            )
        )
    )
    assert set(functions) == {
        "APIHandler",
        "OwnerAuth",
        "SendDue",
        "VisitsEnded",
        "KpiSync",
        "Marketing",
        "EraseInactive",
    }
    for name, f in functions.items():
        assert f["Properties"]["Role"] == {"Fn::GetAtt": [role, "Arn"]}, name
        env = f["Properties"]["Environment"]["Variables"]
        assert env["REBOOK_TABLE"] == {"Ref": "Table"} and "REBOOK_LINK_SECRET_ID" in env
        assert "REBOOK_AUTH_JWKS_URL" in env and env["REBOOK_STAGE"] == "dev"
    schedules = {
        n: [e["Properties"]["Schedule"] for e in f["Properties"]["Events"].values()]
        for n, f in functions.items()
        if "Events" in f["Properties"]
    }
    assert schedules == {
        "SendDue": ["rate(1 minute)"],
        "VisitsEnded": ["rate(5 minutes)"],
        "KpiSync": ["rate(5 minutes)"],
        "Imports": ["rate(1 minute)"],
        "Marketing": ["rate(1 hour)"],
        "EraseInactive": ["cron(15 2 * * ? *)"],
    }
    assert set(JOBS) == {"send_due", "visits_ended", "kpi_sync", "imports", "marketing", "erase_inactive"}
    assert not t.find_resources("AWS::IAM::Role", {"Properties": {"RoleName": "rebook-dev"}})  # no chalice role


def test_owners_sign_in_through_cognito_and_cannot_change_their_business(templates):
    t = template(templates, "prod")
    _, pool = only(t, "AWS::Cognito::UserPool")
    assert pool["Properties"]["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    attrs = {a["Name"] for a in pool["Properties"]["Schema"]}
    assert {"business_id", "role", "staff_id"} <= attrs
    _, client = only(t, "AWS::Cognito::UserPoolClient")
    assert not any(a.startswith("custom:") for a in client["Properties"]["WriteAttributes"])
    assert {"custom:business_id", "custom:role"} <= set(client["Properties"]["ReadAttributes"])
    # The dashboard (chalicelib/static/dashboard.js) signs in with USER_PASSWORD_AUTH.
    assert "ALLOW_USER_PASSWORD_AUTH" in client["Properties"]["ExplicitAuthFlows"]


def test_mail_and_sms_settings(templates):
    t = template(templates, "prod")
    only(t, "AWS::SES::ConfigurationSet", {"Name": "rebook-prod"})
    only(t, "AWS::SES::EmailIdentity", {"EmailIdentity": "example.com"})
    _, sms = only(t, "Custom::AWS")
    create = json.dumps(sms["Properties"]["Create"])
    assert "setSMSAttributes" in create and "Transactional" in create and "DefaultSenderID" in create


def test_api_throttling_gateway_errors_in_our_shape_and_waf_in_prod(templates):
    for stage in ("dev", "prod"):
        t = template(templates, stage)
        _, api = only(t, "AWS::Serverless::Api")
        [settings] = api["Properties"]["MethodSettings"]
        assert settings["ThrottlingRateLimit"] > 0 and settings["ThrottlingBurstLimit"] > 0
        unauthorized = api["Properties"]["GatewayResponses"]["UNAUTHORIZED"]
        body = json.loads(unauthorized["ResponseTemplates"]["application/json"])
        assert unauthorized["StatusCode"] == "401" and body["error"]["code"] == "unauthorized"
        acls = t.find_resources("AWS::WAFv2::WebACL")
        assert bool(acls) is (stage == "prod")
    _, acl = only(template(templates, "prod"), "AWS::WAFv2::WebACL")
    assert acl["Properties"]["Rules"][0]["Statement"]["RateBasedStatement"]["AggregateKeyType"] == "IP"


def test_alarms_reach_a_topic_and_logs_are_kept_for_a_while(templates):
    for stage, days in (("dev", 14), ("prod", 365)):
        t = template(templates, stage)
        topic = next(iter(t.find_resources("AWS::SNS::Topic")))
        alarms = t.find_resources("AWS::CloudWatch::Alarm")
        metrics = {a["Properties"]["MetricName"] for a in alarms.values()}
        assert {"5XXError", "messages_failed_permanently", "Errors"} <= metrics
        from chalicelib.jobs.schedule import JOBS

        assert len([a for a in alarms.values() if a["Properties"]["MetricName"] == "Errors"]) == len(JOBS)
        assert all(a["Properties"]["AlarmActions"] == [{"Ref": topic}] for a in alarms.values())
        groups = t.find_resources("AWS::Logs::LogGroup")
        assert len(groups) == len(JOBS) + 2 and {g["Properties"]["RetentionInDays"] for g in groups.values()} == {days}
    assert template(templates, "prod").find_resources(
        "AWS::SNS::Subscription", {"Properties": {"Protocol": "email", "Endpoint": "ops@example.com"}}
    )
