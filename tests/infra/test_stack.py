"""The CDK app, synthesized for real (no AWS credentials) and linted (cfn-lint, errors
fail), then checked with CDK assertions: the table with every index, TTL, PITR and prod
deletion protection; least-privilege IAM; every function and schedule; Cognito; SES; SMS
preferences; throttling, gateway errors in our shape and the prod WAF; access and
execution logs of the API; alarms; log retention; a stage pointed at a restored table.

The stages are synthesized in one process (infra/app.py's synth_template: one jsii
runtime for all three, a third of the CPU of three `cdk synth` runs); `make synth` runs
the same app through the pinned aws-cdk CLI and adds checkov."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# The first test's setup synthesizes three stages and builds the Python 3.12 package
# (about 40-100 s; several minutes on a busy machine): the timeout is for a hang.
pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]


# In a process of its own: packaging the app (chalice) sets the stage's environment
# (REBOOK_AUTH_ISSUER, REBOOK_TABLE as CDK tokens...) in the process that synthesizes.
SYNTH = """
import sys
from pathlib import Path
from infra.app import synth_template
out = Path(sys.argv[1])
synth_template("dev", out / "dev")
synth_template("prod", out / "prod")
synth_template("prod", out / "prod-restored", table_name=sys.argv[2])
"""


@pytest.fixture(scope="module")
def synth_out(tmp_path_factory) -> Path:
    """dev, prod and prod pointed at a restored table (docs/deploy.md: `-c table_name`,
    the same as the stage's `table_name` in infra/cdk.json), and cfn-lint's verdict: the
    cdk.out directory of each, with its templates and assets (the Lambda package)."""
    out = tmp_path_factory.mktemp("cdk.out")
    # From the repository's root, without PYTHONPATH: the synth changes into infra/, and
    # Chalice imports the project's `app` only when it puts the project first on sys.path
    # itself (with PYTHONPATH=<repository> it does not, and infra/app.py is found instead).
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "REBOOK_")) and k != "PYTHONPATH"}
    run = subprocess.run(
        [sys.executable, "-c", SYNTH, str(out), RESTORED],
        env=env,
        cwd=Path(__file__).parents[2],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    files = {
        stage: out / stage / f"rebook-{stage.split('-')[0]}.template.json" for stage in ("dev", "prod", "prod-restored")
    }
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    lint = subprocess.run(
        [str(cfn_lint), str(files["dev"]), str(files["prod"])], capture_output=True, text=True, timeout=600
    )
    # Its exit code is a bit mask: 1 = it failed, 2 = errors (4 = warnings, 8 = informational).
    assert not lint.returncode & 3, lint.stdout + lint.stderr
    return out


@pytest.fixture(scope="module")
def synthesized(synth_out):
    return {
        stage: json.loads((synth_out / stage / f"rebook-{stage.split('-')[0]}.template.json").read_text())
        for stage in ("dev", "prod", "prod-restored")
    }


@pytest.fixture(scope="module")
def templates(synthesized):
    return {stage: synthesized[stage] for stage in ("dev", "prod")}


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
    # Any identity of the account (in the SES sandbox the verified recipient's is checked
    # too), from the stage's own address only.
    assert any(json.dumps(r).endswith(':identity/*"]]}') for r in s["Mail"]["Resource"]), s["Mail"]["Resource"]
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
    # Each salon's Stripe keys: read only, only this stage's, by their name prefix.
    assert s["StripeKeys"]["Action"] == "secretsmanager:GetSecretValue"
    assert ":secret:rebook/prod/stripe/*" in json.dumps(s["StripeKeys"]["Resource"])


def test_the_stripe_webhook_is_a_route_and_the_functions_know_where_the_keys_are(templates):
    t = template(templates, "prod")
    text = json.dumps(t.to_json())
    assert '"/webhooks/stripe"' in text
    functions = t.find_resources("AWS::Serverless::Function") or t.find_resources("AWS::Lambda::Function")
    prefixes = {
        json.dumps(f["Properties"].get("Environment", {}).get("Variables", {}).get("REBOOK_STRIPE_SECRET_PREFIX"))
        for f in functions.values()
    }
    assert prefixes == {'"rebook/prod/stripe/"'}


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
        "HoldExpiry",
        "Imports",
        "Marketing",
        "RefitReturns",
        "EraseInactive",
        "WaitlistQueue",
        "SendFromOutbox",
    }
    for name, f in functions.items():
        if name != "SendFromOutbox":  # a role of its own (below)
            assert f["Properties"]["Role"] == {"Fn::GetAtt": [role, "Arn"]}, name
        env = f["Properties"]["Environment"]["Variables"]
        assert env["REBOOK_TABLE"] == {"Ref": "Table"} and "REBOOK_LINK_SECRET_ID" in env
        assert "REBOOK_AUTH_JWKS_URL" in env and env["REBOOK_STAGE"] == "dev"
    schedules = {
        n: [e["Properties"]["Schedule"] for e in f["Properties"]["Events"].values()]
        for n, f in functions.items()
        if "Events" in f["Properties"] and n != "SendFromOutbox"
    }
    assert schedules == {
        "SendDue": ["rate(1 minute)"],
        "VisitsEnded": ["rate(5 minutes)"],
        "KpiSync": ["rate(5 minutes)"],
        "HoldExpiry": ["rate(1 minute)"],
        "WaitlistQueue": ["rate(1 minute)"],
        "Imports": ["rate(1 minute)"],
        "Marketing": ["rate(1 hour)"],
        "RefitReturns": ["rate(1 hour)"],
        "EraseInactive": ["cron(15 2 * * ? *)"],
    }
    assert set(JOBS) == {
        "send_due",
        "visits_ended",
        "kpi_sync",
        "hold_expiry",
        "waitlist_queue",
        "imports",
        "marketing",
        "refit_returns",
        "erase_inactive",
    }
    assert not t.find_resources("AWS::IAM::Role", {"Properties": {"RoleName": "rebook-dev"}})  # no chalice role


def test_new_messages_leave_from_the_tables_stream_with_a_role_of_its_own(templates):
    from chalicelib.store.outbox import STREAM_FILTERS

    for stage in ("dev", "prod"):
        t = template(templates, stage)
        resources = t.to_json()["Resources"]
        assert resources["Table"]["Properties"]["StreamSpecification"] == {"StreamViewType": "NEW_IMAGE"}
        f = resources["SendFromOutbox"]["Properties"]
        [event] = f["Events"].values()
        assert event["Type"] == "DynamoDB"
        props = event["Properties"]
        assert props["Stream"] == {"Fn::GetAtt": ["Table", "StreamArn"]}
        assert props["StartingPosition"] == "LATEST" and props["MaximumRetryAttempts"] == 2
        # Invoked for new pending messages, new bookings' plans and released parked ones
        # (a held booking's confirmations once paid) only, not for every write of the table.
        new, plan, released = [json.loads(p["Pattern"]) for p in props["FilterCriteria"]["Filters"]]
        assert (new, plan, released) == STREAM_FILTERS
        assert new["eventName"] == ["INSERT"] and new["dynamodb"]["NewImage"]["status"]["S"] == ["pending"]
        assert plan["eventName"] == ["INSERT"] and plan["dynamodb"]["NewImage"]["plan"]["S"] == [{"exists": True}]
        assert released["eventName"] == ["MODIFY"] and released["dynamodb"]["NewImage"]["attempts"]["N"] == ["0"]
        # Its role: the app's, and reading this one stream; the other functions' role cannot.
        role = f["Role"]["Fn::GetAtt"][0]
        assert resources[role]["Properties"]["Description"].startswith("Rebook's outbox stream")
        [policy] = [
            r
            for r in resources.values()
            if r["Type"] == "AWS::IAM::Policy" and r["Properties"]["Roles"] == [{"Ref": role}]
        ]
        own = {st["Sid"]: st for st in policy["Properties"]["PolicyDocument"]["Statement"]}
        assert sorted(own["OutboxStream"]["Action"]) == [
            "dynamodb:DescribeStream",
            "dynamodb:GetRecords",
            "dynamodb:GetShardIterator",
        ]
        assert own["OutboxStream"]["Resource"] == {"Fn::GetAtt": ["Table", "StreamArn"]}
        assert set(own) >= {"Table", "Mail", "Sms", "LinkSecret"}
        app_role = statements(t)
        assert "OutboxStream" not in app_role and not any(
            "Stream" in json.dumps(st["Action"]) for st in app_role.values()
        )


def test_webhooks_leave_from_the_stream_in_parallel_and_never_to_private_addresses(templates):
    """Deliveries go out from the outbox stream's function (and the sweeper), which need
    nothing new but a short timeout and several batches per shard; the local-only switch
    that allows private addresses is set on no function."""
    for stage in ("dev", "prod"):
        resources = template(templates, stage).to_json()["Resources"]
        [event] = resources["SendFromOutbox"]["Properties"]["Events"].values()
        assert event["Properties"]["ParallelizationFactor"] == 4
        functions = [r for r in resources.values() if r["Type"] == "AWS::Serverless::Function"]
        for f in functions:
            env = f["Properties"].get("Environment", {}).get("Variables", {})
            assert "REBOOK_WEBHOOKS_ALLOW_PRIVATE" not in env
        assert any(
            f["Properties"].get("Environment", {}).get("Variables", {}).get("REBOOK_WEBHOOK_TIMEOUT") == "5"
            for f in functions
        )


def test_every_function_runs_python_3_12_behind_an_alias_that_api_gateway_and_the_schedules_call_snapstart_where_a_person_waits(
    templates,
):
    from infra.published import ALIAS, INVOKED_BY_API, alias_id

    for stage in ("dev", "prod"):
        resources = templates[stage]["Resources"]
        functions = {n: r for n, r in resources.items() if r["Type"] == "AWS::Serverless::Function"}
        for name, f in functions.items():
            props = f["Properties"]
            # Whatever Python synthesized it (infra/lambda_python.py): SnapStart needs 3.12+.
            assert props["Runtime"] == "python3.12", name
            assert props["AutoPublishAlias"] == ALIAS, name  # SAM points the events at the alias
            # SnapStart's cache is billed by the GB-second: only where a person waits.
            assert props.get("SnapStart") == ({"ApplyOn": "PublishedVersions"} if name in INVOKED_BY_API else None), (
                name
            )
        assert set(INVOKED_BY_API) <= set(functions) and len(functions) > len(INVOKED_BY_API)
        body = json.dumps(resources["RestAPI"]["Properties"]["DefinitionBody"])
        assert "${APIHandler.Arn}" not in body and "${OwnerAuth.Arn}" not in body
        assert f"${{{alias_id('APIHandler')}}}" in body and f"${{{alias_id('OwnerAuth')}}}" in body
        for name in ("APIHandler", "OwnerAuth"):
            permission = resources[f"{name}InvokePermission"]["Properties"]
            assert permission["FunctionName"] == {"Ref": alias_id(name)}


def test_owners_sign_in_through_cognito_and_cannot_change_their_business(templates):
    t = template(templates, "prod")
    _, pool = only(t, "AWS::Cognito::UserPool")
    assert pool["Properties"]["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    # Twelve characters of any kind, as the dashboard's new-password fields say.
    assert pool["Properties"]["Policies"]["PasswordPolicy"] == {
        "MinimumLength": 12,
        "RequireNumbers": False,
        "RequireLowercase": False,
        "RequireSymbols": False,
        "RequireUppercase": False,
    }
    assert pool["Properties"]["AccountRecoverySetting"] == {
        "RecoveryMechanisms": [{"Name": "verified_email", "Priority": 1}]
    }
    attrs = {a["Name"] for a in pool["Properties"]["Schema"]}
    assert {"business_id", "role", "staff_id"} <= attrs
    # Her invitation says where to sign in, and it and her code speak fi, sv and en.
    invite = pool["Properties"]["AdminCreateUserConfig"]["InviteMessageTemplate"]
    assert invite["EmailMessage"].count("{username}") == 1 and invite["EmailMessage"].count("{####}") == 1
    assert 'href="https://book.example.com/admin"' in invite["EmailMessage"]
    code = pool["Properties"]["VerificationMessageTemplate"]
    assert code["DefaultEmailOption"] == "CONFIRM_WITH_CODE" and code["EmailMessage"].count("{####}") == 1
    for words in ("Kirjaudu", "Logga in", "Sign in"):
        assert words in invite["EmailMessage"], words
    for words in ("uusi salasana", "nytt lösenord", "new password"):
        assert words in code["EmailMessage"], words
    for subject in (invite["EmailSubject"], code["EmailSubject"]):
        assert len(subject) <= 140 and "Rebook" in subject
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


def test_a_stage_with_a_certificate_serves_the_api_at_the_root_of_its_custom_domain(templates):
    """prod (a certificate in infra/cdk.json): its public_url's host is an edge-optimized
    custom domain mapped to the API's stage with no base path, so `/webhooks/stripe` and
    `/book/<slug>` are at the domain's root; the output names the DNS target. dev (no
    certificate) has none: its address is the stage's own, under `/api`."""
    stages = json.loads((Path(__file__).parents[2] / "infra" / "cdk.json").read_text())["context"]["stages"]
    t = template(templates, "prod")
    domain_id, domain = only(t, "AWS::ApiGateway::DomainName")
    assert domain["Properties"] == {
        "DomainName": "book.example.com",
        "CertificateArn": stages["prod"]["certificate_arn"],
        "EndpointConfiguration": {"Types": ["EDGE"]},
        "SecurityPolicy": "TLS_1_2",
    }
    assert stages["prod"]["public_url"] == "https://book.example.com"
    _, mapping = only(t, "AWS::ApiGateway::BasePathMapping")
    assert mapping["Properties"] == {"DomainName": {"Ref": domain_id}, "RestApiId": {"Ref": "RestAPI"}, "Stage": "api"}
    assert "RestAPIapiStage" in mapping["DependsOn"]  # the stage SAM makes from RestAPI
    outputs = templates["prod"]["Outputs"]
    assert outputs["CustomDomainTarget"]["Value"] == {"Fn::GetAtt": [domain_id, "DistributionDomainName"]}
    assert not template(templates, "dev").find_resources("AWS::ApiGateway::DomainName")
    assert "CustomDomainTarget" not in templates["dev"]["Outputs"]


def test_a_certificate_needs_us_east_1_and_a_public_url_without_a_path():
    from infra.rebook_stack import StageSettings

    stage = json.loads((Path(__file__).parents[2] / "infra" / "cdk.json").read_text())["context"]["stages"]["prod"]
    assert StageSettings.from_context("prod", stage).custom_domain == "book.example.com"
    assert StageSettings.from_context("prod", {**stage, "certificate_arn": None}).custom_domain is None
    elsewhere = {**stage, "certificate_arn": stage["certificate_arn"].replace("us-east-1", "eu-north-1")}
    with pytest.raises(SystemExit, match="us-east-1"):
        StageSettings.from_context("prod", elsewhere)
    with pytest.raises(SystemExit, match="no path"):
        StageSettings.from_context(
            "prod", {**stage, "public_url": "https://abc.execute-api.eu-north-1.amazonaws.com/api"}
        )


def test_bounces_and_complaints_are_suppressed_and_the_accounts_rates_alarm_where_aws_warns(templates):
    """docs/deploy.md §3 tells AWS they are watched: SES suppresses an address that hard
    bounced or complained (this stage's mail never goes to it again), and the account's
    reputation rates alarm at 5 % bounces and 0.1 % complaints, to the alarm topic."""
    for stage in ("dev", "prod"):
        t = template(templates, stage)
        _, mail = only(t, "AWS::SES::ConfigurationSet", {"Name": f"rebook-{stage}"})
        assert mail["Properties"]["SuppressionOptions"] == {"SuppressedReasons": ["BOUNCE", "COMPLAINT"]}
        assert mail["Properties"]["ReputationOptions"] == {"ReputationMetricsEnabled": True}
        topic = next(iter(t.find_resources("AWS::SNS::Topic")))
        rates = {
            a["Properties"]["MetricName"]: a["Properties"]
            for a in t.find_resources("AWS::CloudWatch::Alarm").values()
            if a["Properties"].get("Namespace") == "AWS/SES"
        }
        assert set(rates) == {"Reputation.BounceRate", "Reputation.ComplaintRate"}
        for name, threshold in (("Reputation.BounceRate", 0.05), ("Reputation.ComplaintRate", 0.001)):
            alarm = rates[name]
            assert alarm["Threshold"] == threshold and alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
            assert "Dimensions" not in alarm  # the account's rate, as SES publishes it
            assert alarm["AlarmActions"] == [{"Ref": topic}] and alarm["TreatMissingData"] == "notBreaching"


def test_two_stages_in_one_account_own_nothing_twice_and_alarm_on_their_own_api(templates):
    """dev and prod side by side in one account (docs/deploy.md §8): no SES identity made
    twice, the account's SMS settings set by one stage, and each stage's Api5xx alarm on
    its own API's metrics (API Gateway's `ApiName` is the API's name: one per stage)."""
    identities, sms_owners, api_names = [], [], set()
    for stage in ("dev", "prod"):
        t = template(templates, stage)
        identities += [i["Properties"]["EmailIdentity"] for i in t.find_resources("AWS::SES::EmailIdentity").values()]
        if t.find_resources("Custom::AWS"):
            sms_owners.append(stage)
        api = t.to_json()["Resources"]["RestAPI"]["Properties"]
        assert api["Name"] == api["DefinitionBody"]["info"]["title"] == f"rebook-{stage}"
        [alarm] = [
            a["Properties"]
            for a in t.find_resources("AWS::CloudWatch::Alarm").values()
            if a["Properties"]["MetricName"] == "5XXError"
        ]
        assert alarm["Dimensions"] == [{"Name": "ApiName", "Value": api["Name"]}, {"Name": "Stage", "Value": "api"}]
        api_names.add(api["Name"])
    assert len(identities) == len(set(identities)), identities
    assert sms_owners == ["prod"] and len(api_names) == 2


def test_the_stage_settings_say_when_two_stages_would_own_an_account_wide_thing():
    from infra.rebook_stack import account_conflicts

    stages = json.loads((Path(__file__).parents[2] / "infra" / "cdk.json").read_text())["context"]["stages"]
    assert account_conflicts(stages) == []
    shared = {name: {**values, "ses_domain": "example.com"} for name, values in stages.items()}
    [identity] = account_conflicts(shared)
    assert "dev and prod" in identity and "SES identity of example.com" in identity
    both_sms = {name: {**values, "sms_settings": True} for name, values in stages.items()}
    [sms] = account_conflicts(both_sms)
    assert "SMS settings" in sms
    # In different regions they do not meet.
    apart = {**shared, "dev": {**shared["dev"], "region": "eu-west-1"}}
    assert account_conflicts(apart) == []


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


def test_each_api_key_is_metered_by_a_usage_plan_the_authorizer_names(templates):
    """Per-key rate limits in AWS: the API takes its keys from the authorizer, every owner
    route needs one (no public route does), the integrations' plan throttles each key per
    second and day, owners signed in share one key at the stage's throttle, and the
    functions know the plan by name and may put keys in it and delete them."""
    stages = json.loads((Path(__file__).parents[2] / "infra" / "cdk.json").read_text())["context"]["stages"]
    for stage in ("dev", "prod"):
        t, want = template(templates, stage), stages[stage]
        resources = t.to_json()["Resources"]
        body = resources["RestAPI"]["Properties"]["DefinitionBody"]
        assert body["x-amazon-apigateway-api-key-source"] == "AUTHORIZER"
        assert body["securityDefinitions"]["api_key"]["type"] == "apiKey"
        metered = public = 0
        for path, ops in body["paths"].items():
            for method, op in ops.items():
                names = {n for s in op.get("security", []) for n in s}
                if path.startswith("/api/v1/admin/") and method != "options":
                    assert {"owner_auth", "api_key"} <= names, (path, method)
                    metered += 1
                else:
                    assert "api_key" not in names, (path, method)
                    public += 1
        assert metered > 50 and public > 10
        api_stage = [{"ApiId": {"Ref": "RestAPI"}, "Stage": "api"}]
        _, keys = only(t, "AWS::ApiGateway::UsagePlan", {"UsagePlanName": f"rebook-{stage}-api-keys"})
        assert keys["Properties"]["ApiStages"] == api_stage
        assert keys["Properties"]["Throttle"] == {
            "RateLimit": want["key_throttle_rate"],
            "BurstLimit": want["key_throttle_burst"],
        }
        assert keys["Properties"]["Quota"] == {"Limit": want["key_requests_per_day"], "Period": "DAY"}
        owners_plan, owners = only(
            t, "AWS::ApiGateway::UsagePlan", {"UsagePlanName": f"rebook-{stage}-signed-in-owners"}
        )
        assert owners["Properties"]["Throttle"] == {
            "RateLimit": want["throttle_rate"],
            "BurstLimit": want["throttle_burst"],
        }
        owner_key, key = only(t, "AWS::ApiGateway::ApiKey")
        only(t, "AWS::ApiGateway::UsagePlanKey", {"KeyId": {"Ref": owner_key}, "UsagePlanId": {"Ref": owners_plan}})
        for name in ("APIHandler", "OwnerAuth"):
            env = resources[name]["Properties"]["Environment"]["Variables"]
            assert env["REBOOK_KEY_USAGE_PLAN"] == f"rebook-{stage}-api-keys"
            assert env["REBOOK_OWNER_USAGE_KEY"] == key["Properties"]["Value"]
        # The functions' role reaches this stage's plan and keys only, not the account's.
        s = statements(t)
        assert s["UsagePlans"]["Action"] == "apigateway:GET"
        usage_plans = json.dumps(s["UsagePlans"]["Resource"])
        assert usage_plans.endswith('::/usageplans"]]}') and "*" not in usage_plans
        plan_keys = json.dumps(s["UsagePlanKeys"]["Resource"])
        assert sorted(s["UsagePlanKeys"]["Action"]) == ["apigateway:DELETE", "apigateway:POST"]
        assert plan_keys.count('{"Ref": "ApiKeyPlan"}') == 2 and "usageplans/*" not in plan_keys
        tag = {"aws:RequestTag/rebook:stage": stage}
        for sid, action in (("MakeStageKeys", "apigateway:POST"), ("TagStageKeys", "apigateway:PUT")):
            assert s[sid]["Action"] == action and s[sid]["Condition"]["StringEquals"] == tag, sid
            assert s[sid]["Condition"]["ForAllValues:StringEquals"] == {"aws:TagKeys": ["rebook:stage"]}, sid
        assert s["DeleteStageKeys"]["Action"] == "apigateway:DELETE"
        assert s["DeleteStageKeys"]["Condition"] == {"StringEquals": {"aws:ResourceTag/rebook:stage": stage}}
        gateway = [st for st in s.values() if "apigateway" in json.dumps(st["Action"])]
        assert {st["Sid"] for st in gateway} == {
            "UsagePlans",
            "UsagePlanKeys",
            "MakeStageKeys",
            "TagStageKeys",
            "DeleteStageKeys",
        }
        assert not any("/apikeys/*" in json.dumps(st["Resource"]) and "Condition" not in st for st in gateway)
        # The outbox stream's role makes no keys.
        stream_role = resources["SendFromOutbox"]["Properties"]["Role"]["Fn::GetAtt"][0]
        assert "apigateway" not in json.dumps(
            [
                r
                for r in resources.values()
                if r["Type"] == "AWS::IAM::Policy" and r["Properties"]["Roles"] == [{"Ref": stream_role}]
            ]
        )


# Every response type API Gateway can answer a client with itself, and the status each
# must have (None: API Gateway's own, for the two defaults that cover the rest).
GATEWAY_STATUSES = {
    "DEFAULT_4XX": None,
    "DEFAULT_5XX": None,
    "UNAUTHORIZED": "401",
    "EXPIRED_TOKEN": "401",
    "ACCESS_DENIED": "403",
    "INVALID_SIGNATURE": "403",
    "INVALID_API_KEY": "403",
    "MISSING_AUTHENTICATION_TOKEN": "404",
    "RESOURCE_NOT_FOUND": "404",
    "THROTTLED": "429",
    "QUOTA_EXCEEDED": "429",
    "WAF_FILTERED": "429",
    "REQUEST_TOO_LARGE": "413",
    "UNSUPPORTED_MEDIA_TYPE": "415",
    "BAD_REQUEST_BODY": "400",
    "BAD_REQUEST_PARAMETERS": "400",
    "INTEGRATION_TIMEOUT": "504",
    "INTEGRATION_FAILURE": "502",
    "AUTHORIZER_FAILURE": "500",
    "AUTHORIZER_CONFIGURATION_ERROR": "500",
    "API_CONFIGURATION_ERROR": "500",
}


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_every_answer_of_api_gateway_itself_is_in_the_error_shape_with_cors(templates, stage):
    _, api = only(template(templates, stage), "AWS::Serverless::Api")
    responses = api["Properties"]["GatewayResponses"]
    assert set(responses) == set(GATEWAY_STATUSES)
    for kind, status in GATEWAY_STATUSES.items():
        r = responses[kind]
        assert r.get("StatusCode") == status, kind
        [(media_type, body)] = r["ResponseTemplates"].items()
        assert media_type == "application/json"
        # The template's only placeholder is the request id, inside a JSON string.
        error = json.loads(body)["error"]
        assert set(error) == {"code", "message", "fields", "request_id"}, kind
        assert error["fields"] == {} and error["code"] and error["message"], kind
        assert error["request_id"] == "$context.requestId"
        headers = r["ResponseParameters"]["Headers"]
        assert headers["Access-Control-Allow-Origin"] == "'*'" and headers["Cache-Control"] == "'no-store'", kind
        if status == "429":
            assert int(headers["Retry-After"].strip("'")) > 0, kind
    throttled = json.loads(responses["THROTTLED"]["ResponseTemplates"]["application/json"])["error"]
    assert throttled["code"] == "throttled"
    assert json.loads(responses["DEFAULT_5XX"]["ResponseTemplates"]["application/json"])["error"]["code"] == "internal"


# A request as API Gateway would fill the access log's placeholders: the line must stay
# one valid JSON object whatever is missing ("-") and whatever the path holds.
SAMPLE_CONTEXT = {
    "$context.requestId": "c0ffee00-0000-4000-8000-000000000000",
    "$context.requestTimeEpoch": "1796198400000",
    "$context.identity.sourceIp": "203.0.113.7",
    "$context.httpMethod": "GET",
    "$context.resourcePath": "/api/v1/bookings/{token}",
    "$context.path": "/api/v1/bookings/abc.def",
    "$context.status": "200",
    "$context.responseLength": "-",
    "$context.responseLatency": "42",
    "$context.integrationLatency": "-",
    "$context.integrationStatus": "-",
    "$context.error.responseType": "-",
    "$context.authorizer.principalId": "-",
    "$context.waf.status": "-",
}


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_every_request_is_logged_as_one_json_line_without_bodies_and_errors_are_logged(templates, stage):
    import re

    from aws_cdk.assertions import Match

    t = template(templates, stage)
    days = 14 if stage == "dev" else 365
    _, api = only(t, "AWS::Serverless::Api")
    access = api["Properties"]["AccessLogSetting"]
    group_id, group = only(t, "AWS::Logs::LogGroup", {"LogGroupName": f"/rebook/{stage}/api-access"})
    assert access["DestinationArn"] == {"Fn::GetAtt": [group_id, "Arn"]}
    assert group["Properties"]["RetentionInDays"] == days
    fmt = access["Format"]
    placeholders = set(re.findall(r"\$context\.[\w.]+", fmt))
    assert placeholders == set(SAMPLE_CONTEXT), placeholders ^ set(SAMPLE_CONTEXT)
    line = fmt
    for k in sorted(SAMPLE_CONTEXT, key=len, reverse=True):
        line = line.replace(k, SAMPLE_CONTEXT[k])
    record = json.loads(line)
    assert {"requestId", "ip", "route", "path", "status", "latencyMs", "errorType"} <= set(record)
    assert record["route"] == "/api/v1/bookings/{token}" and record["status"] == 200 and record["latencyMs"] == 42
    # No bodies, query strings, headers or anything the caller types beyond the path.
    assert "$input" not in fmt and "requestOverride" not in fmt and "userAgent" not in fmt
    assert not any(word in fmt for word in ("querystring", "header", "body", "claims"))
    [settings] = api["Properties"]["MethodSettings"]
    assert settings["LoggingLevel"] == "ERROR" and settings["DataTraceEnabled"] is False
    # API Gateway's execution log group (its name is API Gateway's convention), kept as long.
    _, execution = only(
        t,
        "AWS::Logs::LogGroup",
        {"LogGroupName": {"Fn::Sub": ["API-Gateway-Execution-Logs_${Api}/api", Match.any_value()]}},
    )
    assert execution["Properties"]["RetentionInDays"] == days
    # The account-wide role API Gateway writes logs with; the API waits for it.
    account_id, account = only(t, "AWS::ApiGateway::Account")
    role_ref = account["Properties"]["CloudWatchRoleArn"]["Fn::GetAtt"][0]
    role = t.to_json()["Resources"][role_ref]
    assert "AmazonAPIGatewayPushToCloudWatchLogs" in json.dumps(role["Properties"]["ManagedPolicyArns"])
    assert role["DeletionPolicy"] == "Retain"
    assert account_id in t.to_json()["Resources"]["RestAPI"]["DependsOn"]


@pytest.fixture(scope="module")
def restored(synthesized):
    return synthesized["prod-restored"]


RESTORED = "rebook-prod-restored-20261201"


def test_prod_keeps_its_table_and_can_be_pointed_at_a_restored_one(templates, restored):
    from aws_cdk.assertions import Template

    # Backups: point-in-time recovery on; prod's table survives a `cdk destroy` and a delete.
    prod = template(templates, "prod").to_json()["Resources"]["Table"]
    assert prod["Properties"]["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert prod["Properties"]["DeletionProtectionEnabled"] is True
    assert prod["DeletionPolicy"] == prod["UpdateReplacePolicy"] == "Retain"
    # Pointed at the restored table: every function uses it, the role may use only it...
    t = Template.from_json(restored)
    for name, f in t.find_resources("AWS::Serverless::Function").items():
        assert f["Properties"]["Environment"]["Variables"]["REBOOK_TABLE"] == RESTORED, name
    table_arn = json.dumps(statements(t)["Table"]["Resource"])
    assert f"table/{RESTORED}" in table_arn and f"table/{RESTORED}/index/*" in table_arn, table_arn
    assert 'rebook-prod"' not in table_arn and "GetAtt" not in table_arn
    assert restored["Outputs"]["TableName"]["Value"] == RESTORED
    # A restored table has a stream of its own: until its ARN is set (docs/deploy.md), the
    # outbox stream has no event source and the sweeper sends everything.
    assert "Events" not in restored["Resources"]["SendFromOutbox"]["Properties"]
    # ...and the stack's own table is left as it was (kept, protected, not replaced).
    assert restored["Resources"]["Table"] == templates["prod"]["Resources"]["Table"]


def test_alarms_reach_a_topic_and_logs_are_kept_for_a_while(templates):
    for stage, days in (("dev", 14), ("prod", 365)):
        t = template(templates, stage)
        topic = next(iter(t.find_resources("AWS::SNS::Topic")))
        alarms = t.find_resources("AWS::CloudWatch::Alarm")
        metrics = {a["Properties"]["MetricName"] for a in alarms.values()}
        assert {"5XXError", "messages_failed_permanently", "sms_budget_exhausted", "audit_lost", "Errors"} <= metrics
        from chalicelib.jobs.schedule import JOBS

        assert len([a for a in alarms.values() if a["Properties"]["MetricName"] == "Errors"]) == len(JOBS)
        assert all(a["Properties"]["AlarmActions"] == [{"Ref": topic}] for a in alarms.values())
        groups = t.find_resources("AWS::Logs::LogGroup")
        assert len(groups) == len(JOBS) + 5 and {g["Properties"]["RetentionInDays"] for g in groups.values()} == {
            days
        }  # the API's two logs, the API handler, the authorizer, the outbox stream
    assert template(templates, "prod").find_resources(
        "AWS::SNS::Subscription", {"Properties": {"Protocol": "email", "Endpoint": "ops@example.com"}}
    )


def _emitted(stage: str, capsys, monkeypatch, emit) -> tuple[str, list[dict]]:
    """The namespace and dimensions of the series a metric of the app lands in, emitted
    with the stage functions' own environment (.chalice/config.json, as the stack
    deploys it): Powertools adds the `service` dimension there."""
    from infra.rebook_stack import chalice_stage_config

    env = chalice_stage_config(stage)["environment_variables"]
    for name in ("POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE"):
        monkeypatch.setenv(name, env[name])
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    capsys.readouterr()
    emit()
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    emf = next(x for x in lines if "_aws" in x)
    spec = emf["_aws"]["CloudWatchMetrics"][0]
    return spec["Namespace"], [{"Name": d, "Value": emf[d]} for d in spec["Dimensions"][0]]


@pytest.mark.parametrize("which", ["sms budget", "audit lost"])
def test_the_sms_budget_and_audit_alarms_watch_the_very_series_the_app_emits(templates, capsys, monkeypatch, which):
    from chalicelib.observability import (
        AUDIT_LOST_METRIC,
        SMS_BUDGET_METRIC,
        count_audit_lost,
        count_sms_budget_exhausted,
    )

    metric, emit = {
        "sms budget": (SMS_BUDGET_METRIC, lambda: count_sms_budget_exhausted("b1", 300)),
        "audit lost": (AUDIT_LOST_METRIC, count_audit_lost),
    }[which]
    for stage in ("dev", "prod"):
        namespace, dimensions = _emitted(stage, capsys, monkeypatch, emit)
        t = template(templates, stage)
        topic = next(iter(t.find_resources("AWS::SNS::Topic")))
        found = [
            a["Properties"]
            for a in t.find_resources("AWS::CloudWatch::Alarm").values()
            if a["Properties"]["MetricName"] == metric
        ]
        assert len(found) == 1, found
        alarm = found[0]
        assert (
            (alarm["Namespace"], alarm["Dimensions"])
            == (namespace, dimensions)
            == (
                "Rebook",
                [{"Name": "service", "Value": "rebook"}],
            )
        )
        assert (alarm["Statistic"], alarm["Period"], alarm["Threshold"], alarm["EvaluationPeriods"]) == (
            "Sum",
            300,
            1,
            1,
        )
        assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert alarm["TreatMissingData"] == "notBreaching"
        assert alarm["AlarmActions"] == [{"Ref": topic}]


def test_business_images_come_from_a_private_bucket_through_cloudfront_cached_a_year(templates):
    t = template(templates, "prod")
    bucket, props = only(t, "AWS::S3::Bucket")
    assert props["Properties"]["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    _, cdn = only(t, "AWS::CloudFront::Distribution")
    config = cdn["Properties"]["DistributionConfig"]
    behaviour = config["DefaultCacheBehavior"]
    assert behaviour["ViewerProtocolPolicy"] == "redirect-to-https"
    assert behaviour["AllowedMethods"] == ["GET", "HEAD"]
    [origin] = config["Origins"]
    assert "OriginAccessControlId" in origin and origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    # Only CloudFront may read the bucket (origin access control).
    policies = t.find_resources("AWS::S3::BucketPolicy")
    reads = [
        st
        for p in policies.values()
        for st in p["Properties"]["PolicyDocument"]["Statement"]
        if st.get("Principal") == {"Service": "cloudfront.amazonaws.com"}
    ]
    assert reads and all(st["Action"] == "s3:GetObject" for st in reads)
    # The files go up with a year's cache, and the functions link to the distribution.
    [deployment] = t.find_resources("Custom::CDKBucketDeployment").values()
    assert "public, max-age=31536000, immutable" in json.dumps(deployment["Properties"]["SystemMetadata"])
    api = t.find_resources("AWS::Serverless::Function")["APIHandler"]
    media = api["Properties"]["Environment"]["Variables"]["REBOOK_MEDIA_URL"]
    assert "MediaCdn" in json.dumps(media) and "DomainName" in json.dumps(media)


def lambda_tags() -> set:
    """Every wheel tag CPython 3.12 on Lambda (x86_64, Amazon Linux 2023: glibc 2.34) accepts."""
    from packaging import tags

    platforms = [f"manylinux_2_{minor}_x86_64" for minor in range(34, 4, -1)]
    platforms += ["manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64"]
    return set(tags.cpython_tags((3, 12), platforms=platforms)) | set(tags.compatible_tags((3, 12), "cp312", platforms))


def test_the_package_is_the_app_with_python_3_12_builds_of_the_versions_tested_here(templates, synth_out):
    """The Lambda package the CDK app uploads: the app's own files, every dependency a
    wheel for CPython 3.12 on Lambda's Linux (no 3.11 build: it would not import), at
    the version installed here, with what it needs on 3.12; within 20 MB."""
    import importlib.metadata
    import zipfile
    from email.parser import Parser

    from packaging.requirements import Requirement
    from packaging.tags import parse_tag
    from packaging.utils import canonicalize_name

    functions = [
        r["Properties"] for r in templates["prod"]["Resources"].values() if r["Type"] == "AWS::Serverless::Function"
    ]
    (key,) = {f["CodeUri"]["Key"] for f in functions}  # one package for every function
    package = synth_out / "prod" / f"asset.{key}"
    assert package.stat().st_size <= 20e6, package.stat().st_size
    with zipfile.ZipFile(package) as z:
        names = set(z.namelist())
        infos = {n.split("/")[0] for n in names if n.split("/")[0].endswith(".dist-info")}
        wheels = {i: Parser().parsestr(z.read(f"{i}/WHEEL").decode()).get_all("Tag") or [] for i in infos}
        metadata = {i: Parser().parsestr(z.read(f"{i}/METADATA").decode()) for i in infos}
    assert {
        "app.py",
        "chalice/app.py",
        "chalicelib/snapshot.py",
        "chalicelib/strings/fi.json",
        "docs/openapi.yaml",
    } <= names
    assert not any(n.split("/")[0] in ("boto3", "botocore", "s3transfer") for n in names)  # the runtime's
    # The tests' own bytecode (chalicelib/__pycache__, this Python's) stays out of Lambda's package.
    assert not [n for n in names if "__pycache__/" in n or n.endswith(".pyc")]
    supported = lambda_tags()
    for info, tags in wheels.items():
        assert any(parse_tag(tag) & supported for tag in tags), (info, tags)
    extensions = [n for n in names if n.endswith(".so")]
    assert extensions  # pydantic-core, cryptography, PyYAML, MarkupSafe...
    for name in extensions:
        assert name.endswith((".cpython-312-x86_64-linux-gnu.so", ".abi3.so")), name
    # The versions tested here, and everything each needs on Python 3.12 (pip evaluates
    # the markers of a cross install with the Python it runs on).
    on_lambda = {"python_version": "3.12", "python_full_version": "3.12.0", "extra": ""}  # over this machine's
    present = {canonicalize_name(m["Name"]) for m in metadata.values()} | {"boto3", "botocore", "s3transfer"}
    for info, meta in metadata.items():
        assert importlib.metadata.version(meta["Name"]) == meta["Version"], info
        for line in meta.get_all("Requires-Dist") or []:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate(on_lambda):
                assert canonicalize_name(requirement.name) in present, (info, line)


def test_stage_settings_that_would_fail_in_aws_are_refused_at_the_synth_each_named():
    """A deploying engineer's walk: "false" in quotes turned the WAF on, a sender of 18
    characters would fail the account's SMS settings, mail from a domain the stack does
    not verify would be refused by SES, a retention CloudWatch does not take would fail
    the deploy: each synthesized without a word."""
    from infra.rebook_stack import StageSettings, chalice_stage_config, stage_problems

    stages = json.loads((Path(__file__).parents[2] / "infra" / "cdk.json").read_text())["context"]["stages"]
    assert stage_problems(stages["dev"]) == stage_problems(stages["prod"]) == []
    stage = stages["dev"]
    bad = {
        **stage,
        "waf": "false",
        "sms_sender": "Klipp Södermalm AB",
        "email_from": "bookings@klipp.se",
        "log_retention_days": 15,
        "public_url": "http://book.klipp.se",
        "throttle_rate": 0,
    }
    with pytest.raises(SystemExit) as refused:
        StageSettings.from_context("dev", bad)
    said = str(refused.value)
    assert "6 problem(s)" in said
    for named in (
        "waf is true or false",
        "sms_sender is 1-11",
        "email_from's domain (klipp.se)",
        "log_retention_days",
        "https://",
        "throttle_rate",
    ):
        assert named in said, (named, said)
    # Mail from a subdomain of the verified one, with a display name, is fine.
    assert stage_problems({**stage, "email_from": "Salon <bookings@mail.dev.example.com>"}) == []
    with pytest.raises(SystemExit, match=r"no block in \.chalice/config\.json"):
        chalice_stage_config("staging")
