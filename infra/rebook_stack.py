"""Rebook in one AWS account and region: the Chalice app (API, authorizer, scheduled
jobs) through Chalice's own CDK construct, and everything around it. docs/deploy.md
walks through a first deploy."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3_deployment
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_ses as ses
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_wafv2 as wafv2
from aws_cdk import custom_resources as cr
from constructs import Construct

from chalicelib.auth.usage_plan import STAGE_TAG
from chalicelib.notify.channels import clean_sender_id
from chalicelib.observability import AUDIT_LOST_METRIC, SMS_BUDGET_METRIC
from infra import owner_mail
from infra.api_edges import access_log_format, gateway_responses

ROOT = Path(__file__).resolve().parents[1]
API_STAGE = "api"
# The outbox stream's trigger (app.send_from_outbox) and its event source, as
# `chalice package` names them.
OUTBOX_STREAM_FUNCTION = "SendFromOutbox"
OUTBOX_STREAM_EVENT = "SendFromOutboxDynamodbEventSource"
# The account's SES reputation (AWS/SES, no dimension: all the account's mail in the
# region) and where AWS itself warns: (metric, in words, the alarm's threshold as a
# fraction, where AWS's review starts).
SES_REPUTATION_ALARMS = (("BounceRate", "bounce", 0.05, "10 %"), ("ComplaintRate", "complaint", 0.001, "0.5 %"))


@dataclass(frozen=True)
class StageSettings:
    """One stage's settings, from the CDK context (infra/cdk.json)."""

    name: str
    public_url: str
    email_from: str
    ses_domain: str
    sms_sender: str
    alarm_email: str | None
    waf: bool
    waf_requests_per_5min: int
    throttle_rate: int
    throttle_burst: int
    log_retention_days: int
    # Each integration's API key (its API Gateway usage plan): requests a second, the
    # burst, and a day's quota. Owners signed in share the stage's throttle.
    key_throttle_rate: int = 10
    key_throttle_burst: int = 20
    key_requests_per_day: int = 100_000
    # The table the app uses, when it is not the stack's own `rebook-<stage>`: a table
    # restored from a backup (docs/deploy.md, "Backups and restore").
    table_name: str | None = None
    # ... and that table's stream (the outbox stream reads it); without it, with a
    # restored table, new messages wait for the sweeper (up to a minute).
    table_stream_arn: str | None = None
    # Two stages in one account (docs/deploy.md §8): the SES domain identity is made by
    # one stage only (one identity per domain and region), and the account's SMS settings
    # (DefaultSenderID: account-wide, the last writer wins) are set by one stage only.
    ses_identity: bool = True
    sms_settings: bool = True
    # The custom domain (docs/deploy.md §2b): an ACM certificate in us-east-1 (the API is
    # edge-optimized: CloudFront serves the domain) for the host of `public_url`, which
    # then has no path: the domain maps to the stage at its root.
    certificate_arn: str | None = None

    @property
    def is_prod(self) -> bool:
        return self.name == "prod"

    @classmethod
    def from_context(cls, name: str, values: dict) -> StageSettings:
        problems = stage_problems(values)
        if problems:
            listed = "\n".join(f"  - {p}" for p in problems)
            raise SystemExit(f"stage {name} in infra/cdk.json has {len(problems)} problem(s):\n{listed}")
        return cls(
            name=name,
            public_url=values["public_url"].rstrip("/"),
            email_from=values["email_from"],
            ses_domain=values["ses_domain"],
            sms_sender=values.get("sms_sender", "Rebook"),
            alarm_email=values.get("alarm_email"),
            waf=bool(values.get("waf", False)),
            waf_requests_per_5min=int(values.get("waf_requests_per_5min", 1000)),
            throttle_rate=int(values.get("throttle_rate", 50)),
            throttle_burst=int(values.get("throttle_burst", 100)),
            log_retention_days=int(values.get("log_retention_days", 30)),
            key_throttle_rate=int(values.get("key_throttle_rate", 10)),
            key_throttle_burst=int(values.get("key_throttle_burst", 20)),
            key_requests_per_day=int(values.get("key_requests_per_day", 100_000)),
            table_name=values.get("table_name") or None,
            table_stream_arn=values.get("table_stream_arn") or None,
            ses_identity=bool(values.get("ses_identity", True)),
            sms_settings=bool(values.get("sms_settings", True)),
            certificate_arn=_certificate(name, values),
        )

    @property
    def custom_domain(self) -> str | None:
        """The API's own domain (the host of `public_url`), when the stage has a certificate."""
        return urlsplit(self.public_url).hostname if self.certificate_arn else None

    @property
    def api_name(self) -> str:
        """The REST API's name: the `ApiName` of its CloudWatch metrics, one per stage."""
        return f"rebook-{self.name}"


# What CloudWatch Logs takes as a retention (a synth passes any number; CloudFormation
# refuses the others when it deploys).
LOG_RETENTION_DAYS = frozenset(
    map(
        int,
        [
            "1",
            "3",
            "5",
            "7",
            "14",
            "30",
            "60",
            "90",
            "120",
            "150",
            "180",
            "365",
            "400",
            "545",
            "731",
            "1096",
            "1827",
            "2192",
            "2557",
            "2922",
            "3288",
            "3653",
        ],
    )
)
BOOLEANS = ("waf", "ses_identity", "sms_settings")
COUNTS = ("waf_requests_per_5min", "throttle_rate", "throttle_burst", "key_throttle_rate", "key_throttle_burst")


def stage_problems(values: dict) -> list[str]:
    """What in a stage's settings would synthesize and then fail in AWS, or silently do
    otherwise than written (a deploying engineer's walk): "false" in quotes turned the WAF
    on, a sender of 18 characters failed the SMS settings, mail from another domain than
    the one verified was refused by SES."""
    problems = []
    for key in BOOLEANS:
        if key in values and not isinstance(values[key], bool):
            problems.append(f"{key} is true or false, without quotes (given {values[key]!r})")
    for key in (*COUNTS, "key_requests_per_day"):
        if key in values and (isinstance(values[key], bool) or not isinstance(values[key], int) or values[key] < 1):
            problems.append(f"{key} is a whole number of at least 1 (given {values[key]!r})")
    retention = values.get("log_retention_days", 30)
    if retention not in LOG_RETENTION_DAYS or isinstance(retention, bool):
        problems.append(
            f"log_retention_days is one CloudWatch Logs takes: {', '.join(map(str, sorted(LOG_RETENTION_DAYS)))} "
            f"(given {retention!r})"
        )
    url = urlsplit(str(values.get("public_url", "")))
    if url.scheme != "https" or not url.hostname:
        problems.append(f"public_url is an https:// address (given {values.get('public_url')!r})")
    sender, domain = str(values.get("email_from", "")), str(values.get("ses_domain", "")).lower()
    sender_domain = sender.rpartition("@")[2].rstrip(">").lower()
    if not domain or not (sender_domain == domain or sender_domain.endswith("." + domain)):
        problems.append(
            f"email_from's domain ({sender_domain or 'none'}) is ses_domain ({domain or 'none'}) or under it: "
            "SES sends only from the domain the stack verifies, and the functions may send only as email_from"
        )
    sms = values.get("sms_sender", "Rebook")
    if not isinstance(sms, str) or clean_sender_id(sms) != sms:  # as the SMS sender writes one
        problems.append(
            f"sms_sender is 1-11 letters and digits, at least one letter, no spaces (an SMS sender ID; given {sms!r})"
        )
    return problems


def _certificate(stage: str, values: dict) -> str | None:
    """The stage's `certificate_arn`, checked against what API Gateway will take."""
    arn = values.get("certificate_arn") or None
    if arn is None:
        return None
    if not arn.startswith("arn:aws:acm:us-east-1:"):
        raise SystemExit(
            f"stage {stage}: certificate_arn must be an ACM certificate in us-east-1 (the API is "
            "edge-optimized; docs/deploy.md §2b)"
        )
    parts = urlsplit(values["public_url"])
    if parts.scheme != "https" or parts.path.strip("/"):
        raise SystemExit(
            f"stage {stage}: with certificate_arn, public_url is https://<the custom domain> with no path "
            "(the domain maps to the API's root; docs/deploy.md §2b)"
        )
    return str(arn)


def account_conflicts(stages: dict[str, dict]) -> list[str]:
    """What two stages of infra/cdk.json would fight over in one account and region: the
    same SES domain identity made by both, or the account's SMS settings set by both."""
    problems = []
    owners: dict[tuple, list[str]] = {}
    for name, values in stages.items():
        region = values.get("region")
        if values.get("ses_identity", True):
            owners.setdefault(("the SES identity of " + values["ses_domain"], region), []).append(name)
        if values.get("sms_settings", True):
            owners.setdefault(("the account's SMS settings", region), []).append(name)
    for (what, region), names in owners.items():
        if len(names) > 1:
            problems.append(
                f"stages {' and '.join(names)} both own {what} in {region}: set it on one of them only "
                "(docs/deploy.md §8)"
            )
    return problems


def chalice_stage_config(stage: str) -> dict:
    """The stage's block of .chalice/config.json (memory, timeout, environment)."""
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    if stage not in config["stages"]:
        raise SystemExit(
            f"stage {stage} has no block in .chalice/config.json (its memory, timeout and environment): "
            "add one, as dev's (docs/deploy.md §1)"
        )
    block = dict(config["stages"][stage])
    env = {**config.get("environment_variables", {}), **block.pop("environment_variables", {})}
    return {**block, "environment_variables": env}


def lean_chalice():
    """Chalice's construct, packaging for Lambda's Python 3.12 (whatever Python runs the
    synth), with the runtime's own libraries left out of the package and every function
    published behind an alias, with SnapStart where a person waits (infra/lean_package.py)."""
    from chalice.cdk import Chalice

    from infra.lean_package import package

    class LeanChalice(Chalice):
        def _package_app(self):  # the construct's packaging step (chalice 1.34)
            package(Path(self.source_dir), Path(self._sam_package_dir), self.stage_name, self.stage_config)

    return LeanChalice


def scheduled_functions() -> list[str]:
    """Logical ids of the scheduled jobs' functions, as `chalice package` names them."""
    from chalice.utils import to_cfn_resource_name

    import app

    return [to_cfn_resource_name(e.name) for e in app.app.event_sources if hasattr(e, "schedule_expression")]


class RebookStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, *, settings: StageSettings, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        s = self.settings = settings
        retain = cdk.RemovalPolicy.RETAIN if s.is_prod else cdk.RemovalPolicy.DESTROY

        self.table = self._table(f"rebook-{s.name}", s.is_prod, retain)
        # What the functions read and write: the stack's table, or the one named in the
        # stage's settings (a restored copy; the stack's own table is left as it is).
        if s.table_name:
            self.data_table_name = s.table_name
            self.data_table_arn = f"arn:{self.partition}:dynamodb:{self.region}:{self.account}:table/{s.table_name}"
            # A restored table's stream is its own (enabled after the restore: docs/deploy.md).
            self.data_stream_arn = s.table_stream_arn
        else:
            self.data_table_name, self.data_table_arn = self.table.ref, self.table.attr_arn
            self.data_stream_arn = self.table.attr_stream_arn
        self.link_secret = secretsmanager.Secret(
            self,
            "LinkSecret",
            secret_name=f"rebook/{s.name}/link-secret",
            removal_policy=retain,
            description="Signs the links Rebook sends (manage, feedback, unsubscribe, card, referral).",
            generate_secret_string=secretsmanager.SecretStringGenerator(password_length=48, exclude_punctuation=True),
        )
        # The salons' Stripe keys are not made here: each is put when the salon connects
        # Stripe, and the functions may read those secrets only (docs/payments.md).
        self.stripe_secret_prefix = f"rebook/{s.name}/stripe/"
        self.user_pool, self.user_pool_client = self._owners(s, retain)
        # Bounces and complaints (docs/deploy.md §3): SES suppresses an address that hard
        # bounced or complained (no mail of this stage is sent to it again), and the
        # account's bounce and complaint rates have alarms (_alarms).
        self.mail = ses.ConfigurationSet(
            self,
            "Mail",
            configuration_set_name=f"rebook-{s.name}",
            reputation_metrics=True,
            sending_enabled=True,
            suppression_reasons=ses.SuppressionReasons.BOUNCES_AND_COMPLAINTS,
        )
        if s.ses_identity:  # else another stage of the account made it (docs/deploy.md §8)
            ses.EmailIdentity(
                self, "MailDomain", identity=ses.Identity.domain(s.ses_domain), configuration_set=self.mail
            )
        if s.sms_settings:  # account-wide: one stage sets them (docs/deploy.md §8)
            self._sms_preferences(s)
        self.key_usage_plan_name = f"rebook-{s.name}-api-keys"
        self.owner_usage_key = f"rebook-{s.name}-signed-in-owners"
        self.role = self._role(s)
        self.media_url = self._media(retain)

        stage_config = chalice_stage_config(s.name)
        stage_config["environment_variables"].update(
            {
                "REBOOK_TABLE": self.data_table_name,
                "REBOOK_LINK_SECRET_ID": self.link_secret.secret_arn,
                # Each salon's own Stripe keys: one secret per business under this prefix
                # (docs/deploy.md, "Connect a salon's Stripe account").
                "REBOOK_STRIPE_SECRET_PREFIX": self.stripe_secret_prefix,
                "REBOOK_PUBLIC_URL": s.public_url,
                "REBOOK_EMAIL_FROM": s.email_from,
                "REBOOK_SES_CONFIGURATION_SET": self.mail.configuration_set_name,
                "REBOOK_AUTH_JWKS_URL": f"https://cognito-idp.{self.region}.amazonaws.com/"
                f"{self.user_pool.user_pool_id}/.well-known/jwks.json",
                "REBOOK_AUTH_ISSUER": f"https://cognito-idp.{self.region}.amazonaws.com/{self.user_pool.user_pool_id}",
                "REBOOK_AUTH_AUDIENCE": self.user_pool_client.user_pool_client_id,
                "REBOOK_MEDIA_URL": self.media_url,
                # Webhook deliveries (app.send_from_outbox and send_due): a short timeout per
                # attempt. REBOOK_WEBHOOKS_ALLOW_PRIVATE is never set here (and ignored
                # outside local stages): no delivery to private, loopback or link-local addresses.
                "REBOOK_WEBHOOK_TIMEOUT": "5",
                # Per-key rate limits (chalicelib/auth/usage_plan.py): the integrations'
                # usage plan by name (its id would make a dependency cycle: the plan
                # needs the API, the API the functions), and the owners' key's value.
                "REBOOK_KEY_USAGE_PLAN": self.key_usage_plan_name,
                "REBOOK_OWNER_USAGE_KEY": self.owner_usage_key,
            }
        )
        stage_config.update(
            api_gateway_stage=API_STAGE, manage_iam_role=False, autogen_policy=False, iam_role_arn=self.role.role_arn
        )
        self.app = lean_chalice()(self, "App", source_dir=str(ROOT), stage_config=stage_config)
        self._api_on_aliases()
        self._api_name(s)
        self._api_edges(s, retain)
        self._usage_plans(s)
        self._custom_domain(s)
        self._outbox_stream()
        self.functions = ["APIHandler", "OwnerAuth", OUTBOX_STREAM_FUNCTION] + scheduled_functions()
        self._log_retention(s, retain)
        self._alarms(s, stage_config["environment_variables"])

        cdk.CfnOutput(
            self,
            "ApiUrl",
            value=cdk.Fn.sub(
                "https://${RestAPI}.execute-api.${AWS::Region}.amazonaws.com/" + API_STAGE + "/",
                {"RestAPI": self.app.get_resource("RestAPI").ref},
            ),
        )
        cdk.CfnOutput(self, "UserPoolId", value=self.user_pool.user_pool_id)
        cdk.CfnOutput(self, "UserPoolClientId", value=self.user_pool_client.user_pool_client_id)
        cdk.CfnOutput(self, "TableName", value=self.data_table_name)

    # --- data --------------------------------------------------------------------------
    def _table(self, name: str, prod: bool, retain) -> dynamodb.CfnTable:
        """The single table with every index, from the same definition the app and the
        local stack create it with (chalicelib/store/db.py)."""
        from chalicelib.store.db import table_definition

        d = table_definition(name)

        def key(ks: list[dict]) -> list:
            return [
                dynamodb.CfnTable.KeySchemaProperty(attribute_name=k["AttributeName"], key_type=k["KeyType"])
                for k in ks
            ]

        table = dynamodb.CfnTable(
            self,
            "Table",
            table_name=d["TableName"],
            billing_mode=d["BillingMode"],
            key_schema=key(d["KeySchema"]),
            attribute_definitions=[
                dynamodb.CfnTable.AttributeDefinitionProperty(
                    attribute_name=a["AttributeName"], attribute_type=a["AttributeType"]
                )
                for a in d["AttributeDefinitions"]
            ],
            global_secondary_indexes=[
                dynamodb.CfnTable.GlobalSecondaryIndexProperty(
                    index_name=g["IndexName"],
                    key_schema=key(g["KeySchema"]),
                    projection=dynamodb.CfnTable.ProjectionProperty(projection_type=g["Projection"]["ProjectionType"]),
                )
                for g in d["GlobalSecondaryIndexes"]
            ],
            time_to_live_specification=dynamodb.CfnTable.TimeToLiveSpecificationProperty(
                attribute_name="expires_at", enabled=True
            ),
            point_in_time_recovery_specification=dynamodb.CfnTable.PointInTimeRecoverySpecificationProperty(
                point_in_time_recovery_enabled=True
            ),
            sse_specification=dynamodb.CfnTable.SSESpecificationProperty(sse_enabled=True),
            deletion_protection_enabled=prod,
            # New images only: the outbox stream sends new messages from them.
            stream_specification=dynamodb.CfnTable.StreamSpecificationProperty(
                stream_view_type=d["StreamSpecification"]["StreamViewType"]
            ),
        )
        table.apply_removal_policy(retain)
        return table

    def _api_on_aliases(self) -> None:
        """API Gateway calls the published `live` aliases (infra/published.py)."""
        from infra.api_edges import keys_from_authorizer
        from infra.published import api_on_aliases

        template = json.loads((Path(self.app._sam_package_dir) / "sam.json").read_text())
        for resource, prop, value in api_on_aliases(template):
            # The owner routes metered per key (usage plans: _usage_plans).
            metered = keys_from_authorizer(value) if prop == "DefinitionBody" else value
            self.app.get_resource(resource).add_property_override(prop, metered)

    def _api_name(self, s: StageSettings) -> None:
        """The REST API named per stage (Chalice names it after the app, `rebook`, in every
        stage): its metrics' `ApiName`, which the Api5xx alarm watches, is this stage's own."""
        api = self.app.get_resource("RestAPI")
        api.add_property_override("Name", s.api_name)
        api.add_property_override("DefinitionBody.info.title", s.api_name)

    def _outbox_stream(self) -> None:
        """The outbox stream's trigger on the table's stream, filtered to new pending
        messages and released parked ones (the only records it acts on), so the table's
        other writes never invoke it; its role reads this one stream and nothing else of it."""
        from chalicelib.store.outbox import STREAM_FILTERS

        function = self.app.get_resource(OUTBOX_STREAM_FUNCTION)
        events = f"Events.{OUTBOX_STREAM_EVENT}.Properties"
        if self.data_stream_arn is None:
            function.add_property_deletion_override("Events")  # the sweeper sends everything
            return
        function.add_property_override(f"{events}.Stream", self.data_stream_arn)
        function.add_property_override(
            f"{events}.FilterCriteria", {"Filters": [{"Pattern": json.dumps(f)} for f in STREAM_FILTERS]}
        )
        # A batch that keeps failing is dropped after a few tries: its messages stay due
        # for the sweeper, and newer records are not held up behind it.
        function.add_property_override(f"{events}.MaximumRetryAttempts", 2)
        function.add_property_override(f"{events}.BisectBatchOnFunctionError", True)
        # Webhook deliveries wait on their receivers (up to the 5 s timeout each): several
        # batches per shard at once. Order does not matter, the claims keep it exactly once.
        function.add_property_override(f"{events}.ParallelizationFactor", 4)
        # A role of its own: the app's role, plus reading this one stream.
        role = self._role(self.settings, "OutboxStreamRole", "Rebook's outbox stream")
        role.add_to_policy(
            iam.PolicyStatement(
                sid="OutboxStream",
                actions=["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"],
                resources=[self.data_stream_arn],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="OutboxStreams", actions=["dynamodb:ListStreams"], resources=[f"{self.data_table_arn}/stream/*"]
            )
        )
        function.add_property_override("Role", role.role_arn)

    # --- owners ------------------------------------------------------------------------
    def _owners(self, s: StageSettings, retain):
        """Cognito: owners and staff are created by an administrator (docs/deploy.md);
        their business and role are custom attributes they cannot change themselves."""
        invite, reset = owner_mail.invitation(f"{s.public_url}/admin"), owner_mail.code()
        pool = cognito.UserPool(
            self,
            "Owners",
            user_pool_name=f"rebook-{s.name}-owners",
            self_sign_up_enabled=False,
            sign_in_aliases=cognito.SignInAliases(email=True),
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            custom_attributes={
                "business_id": cognito.StringAttribute(min_len=1, max_len=40, mutable=True),
                "role": cognito.StringAttribute(min_len=4, max_len=10, mutable=True),
                "staff_id": cognito.StringAttribute(max_len=40, mutable=True),
            },
            # A length and no mix of character kinds (NIST SP 800-63B, 5.1.1): what the
            # dashboard's forgotten-password form and the local stack ask for too.
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_digits=False,
                require_lowercase=False,
                require_uppercase=False,
                require_symbols=False,
            ),
            mfa=cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            # Her invitation and her forgotten password's code in Finnish, Swedish and
            # English, the invitation with where to sign in (infra/owner_mail.py).
            user_invitation=cognito.UserInvitationConfig(email_subject=invite[0], email_body=invite[1]),
            user_verification=cognito.UserVerificationConfig(
                email_subject=reset[0], email_body=reset[1], email_style=cognito.VerificationEmailStyle.CODE
            ),
            removal_policy=retain,
        )
        client = pool.add_client(
            "Dashboard",
            user_pool_client_name=f"rebook-{s.name}-dashboard",
            # The dashboard signs in with InitiateAuth USER_PASSWORD_AUTH over TLS (no SDK in
            # the page); SRP stays allowed for other clients.
            auth_flows=cognito.AuthFlow(user_password=True, user_srp=True),
            read_attributes=cognito.ClientAttributes()
            .with_standard_attributes(email=True, fullname=True)
            .with_custom_attributes("business_id", "role", "staff_id"),
            write_attributes=cognito.ClientAttributes().with_standard_attributes(fullname=True),
            id_token_validity=cdk.Duration.hours(1),
            prevent_user_existence_errors=True,
        )
        return pool, client

    # --- messaging ---------------------------------------------------------------------
    # --- the booking page's images --------------------------------------------------------
    def _media(self, retain) -> str:
        """The business images (chalicelib/static/img: sized WebP files named by their
        content hash) in a private bucket behind CloudFront (origin access control), each
        cached a year; the pages link to them through REBOOK_MEDIA_URL."""
        bucket = s3.Bucket(
            self,
            "Media",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            versioned=True,
            removal_policy=retain,
        )
        cdn = cloudfront.Distribution(
            self,
            "MediaCdn",
            comment="Rebook business images",
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=cloudfront.ResponseHeadersPolicy.SECURITY_HEADERS,
                compress=False,  # WebP is compressed already
            ),
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
        )
        s3_deployment.BucketDeployment(
            self,
            "MediaFiles",
            sources=[s3_deployment.Source.asset(str(ROOT / "chalicelib" / "static" / "img"), exclude=["*.json"])],
            destination_bucket=bucket,
            # The names carry the content's hash: a changed image is a new name.
            cache_control=[s3_deployment.CacheControl.from_string("public, max-age=31536000, immutable")],
            content_type="image/webp",
            prune=False,
        )
        return f"https://{cdn.distribution_domain_name}"

    def _sms_preferences(self, s: StageSettings) -> None:
        """SNS account SMS settings: transactional (delivery over price) and the sender
        ID Finnish operators show. CloudFormation has no resource for them."""
        call = cr.AwsSdkCall(
            service="SNS",
            action="setSMSAttributes",
            parameters={"attributes": {"DefaultSMSType": "Transactional", "DefaultSenderID": s.sms_sender}},
            physical_resource_id=cr.PhysicalResourceId.of(f"rebook-{s.name}-sms-preferences"),
        )
        cr.AwsCustomResource(
            self,
            "SmsPreferences",
            on_create=call,
            on_update=call,
            policy=cr.AwsCustomResourcePolicy.from_statements(
                [iam.PolicyStatement(actions=["sns:SetSMSAttributes"], resources=["*"])]
            ),
            install_latest_aws_sdk=False,
        )

    # --- least privilege ---------------------------------------------------------------
    def _role(self, s: StageSettings, construct_id: str = "AppRole", what: str = "Rebook's functions") -> iam.Role:
        role = iam.Role(
            self,
            construct_id,
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"{what}: this table, this secret, this mail identity, SMS.",
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name("service-role/AWSLambdaBasicExecutionRole")
            ],
        )
        # No Scan: the app never reads a whole table, so it may not.
        role.add_to_policy(
            iam.PolicyStatement(
                sid="Table",
                actions=[
                    "dynamodb:GetItem",
                    "dynamodb:BatchGetItem",
                    "dynamodb:Query",
                    "dynamodb:PutItem",
                    "dynamodb:UpdateItem",
                    "dynamodb:DeleteItem",
                    "dynamodb:BatchWriteItem",
                    "dynamodb:ConditionCheckItem",
                    "dynamodb:DescribeTable",
                ],
                resources=[self.data_table_arn, f"{self.data_table_arn}/index/*"],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="Mail",
                actions=["ses:SendEmail", "ses:SendRawEmail"],
                # The account's identities, not only the domain's: in the SES sandbox a send
                # is authorized against the verified recipient's identity too (a dev stage
                # mailing a tester's verified address). Only `email_from` may send (below).
                resources=[
                    f"arn:{self.partition}:ses:{self.region}:{self.account}:identity/*",
                    f"arn:{self.partition}:ses:{self.region}:{self.account}:configuration-set/"
                    f"{self.mail.configuration_set_name}",
                ],
                conditions={"StringEquals": {"ses:FromAddress": s.email_from}},
            )
        )
        # SMS to phone numbers has no resource ARN; topics are denied below.
        role.add_to_policy(iam.PolicyStatement(sid="Sms", actions=["sns:Publish"], resources=["*"]))
        role.add_to_policy(
            iam.PolicyStatement(
                sid="NoTopics",
                effect=iam.Effect.DENY,
                actions=["sns:Publish"],
                resources=[f"arn:{self.partition}:sns:*:*:*"],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(sid="SmsOptOut", actions=["sns:CheckIfPhoneNumberIsOptedOut"], resources=["*"])
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="LinkSecret", actions=["secretsmanager:GetSecretValue"], resources=[self.link_secret.secret_arn]
            )
        )
        # Read only, and only the salons' Stripe keys of this stage: never list, never write.
        role.add_to_policy(
            iam.PolicyStatement(
                sid="StripeKeys",
                actions=["secretsmanager:GetSecretValue"],
                resources=[
                    f"arn:{self.partition}:secretsmanager:{self.region}:{self.account}:secret:"
                    f"{self.stripe_secret_prefix}*"
                ],
            )
        )
        return role

    # --- the API's edges ---------------------------------------------------------------
    def _api_edges(self, s: StageSettings, retain) -> None:
        api = self.app.get_resource("RestAPI")
        api.add_property_override(
            "MethodSettings",
            [
                {
                    "ResourcePath": "/*",
                    "HttpMethod": "*",
                    "ThrottlingRateLimit": s.throttle_rate,
                    "ThrottlingBurstLimit": s.throttle_burst,
                    "MetricsEnabled": True,
                    # Execution logging: errors only (authorizer and integration
                    # failures), never the request or response bodies.
                    "LoggingLevel": "ERROR",
                    "DataTraceEnabled": False,
                }
            ],
        )
        api.add_property_override("GatewayResponses", gateway_responses())
        self._api_logs(s, api, retain)
        if s.waf:
            acl = wafv2.CfnWebACL(
                self,
                "RateLimit",
                scope="REGIONAL",
                default_action={"allow": {}},
                visibility_config={
                    "cloudWatchMetricsEnabled": True,
                    "metricName": f"rebook-{s.name}-waf",
                    "sampledRequestsEnabled": True,
                },
                rules=[
                    {
                        "name": "requests-per-ip",
                        "priority": 0,
                        "action": {"block": {}},
                        "statement": {
                            "rateBasedStatement": {"limit": s.waf_requests_per_5min, "aggregateKeyType": "IP"}
                        },
                        "visibilityConfig": {
                            "cloudWatchMetricsEnabled": True,
                            "metricName": "requests-per-ip",
                            "sampledRequestsEnabled": True,
                        },
                    }
                ],
            )
            association = wafv2.CfnWebACLAssociation(
                self,
                "RateLimitOnApi",
                web_acl_arn=acl.attr_arn,
                resource_arn=cdk.Fn.sub(
                    "arn:${AWS::Partition}:apigateway:${AWS::Region}::/restapis/${Api}/stages/" + API_STAGE,
                    {"Api": api.ref},
                ),
            )
            # The stage SAM creates from RestAPI (its logical id is SAM's convention).
            association.add_override("DependsOn", [f"RestAPI{API_STAGE}Stage"])

    def _usage_plans(self, s: StageSettings) -> None:
        """Per-key rate limits: every owner route needs an API key, which the authorizer
        names (infra/api_edges.py keys_from_authorizer). Integrations' keys join the
        first plan when the owner makes them (chalicelib/auth/usage_plan.py); owners and
        staff signed in share one key of the stack in a plan at the stage's throttle."""
        api = self.app.get_resource("RestAPI")
        stage = [{"apiId": api.ref, "stage": API_STAGE}]
        keys = apigateway.CfnUsagePlan(
            self,
            "ApiKeyPlan",
            usage_plan_name=self.key_usage_plan_name,
            description="Each integration's API key: its requests a second and a day.",
            api_stages=stage,
            throttle={"rateLimit": s.key_throttle_rate, "burstLimit": s.key_throttle_burst},
            quota={"limit": s.key_requests_per_day, "period": "DAY"},
        )
        owners = apigateway.CfnUsagePlan(
            self,
            "OwnerPlan",
            usage_plan_name=f"rebook-{s.name}-signed-in-owners",
            description="Owners and staff signed in (one key for all: the stage's throttle).",
            api_stages=stage,
            throttle={"rateLimit": s.throttle_rate, "burstLimit": s.throttle_burst},
        )
        owner_key = apigateway.CfnApiKey(
            self,
            "OwnerKey",
            name=f"rebook-{s.name}-signed-in-owners",
            description="Named by the authorizer for owners' and staff's requests; never sent by a client.",
            enabled=True,
            value=self.owner_usage_key,
        )
        apigateway.CfnUsagePlanKey(
            self, "OwnerPlanKey", key_id=owner_key.ref, key_type="API_KEY", usage_plan_id=owners.ref
        )
        for plan in (keys, owners):  # the stage SAM creates from RestAPI
            plan.add_override("DependsOn", [f"RestAPI{API_STAGE}Stage"])
        self._key_permissions(s, keys)

    def _key_permissions(self, s: StageSettings, plan: apigateway.CfnUsagePlan) -> None:
        """What the API handler does with integrations' keys (chalicelib/auth/usage_plan.py),
        on this stage's own plan and keys only: find the plan by name (listing plans is
        one resource: it cannot be narrowed), make a key tagged with this stage (the
        tag is the condition, and tagging on create is authorized as a tag request too),
        put it in this stage's plan and take it out, and delete only keys tagged with this
        stage. The functions' role only: the outbox stream never makes keys."""
        gateway = f"arn:{self.partition}:apigateway:{self.region}::"
        tagged = {
            "StringEquals": {f"aws:RequestTag/{STAGE_TAG}": s.name},
            "ForAllValues:StringEquals": {"aws:TagKeys": [STAGE_TAG]},
        }
        for statement in (
            iam.PolicyStatement(sid="UsagePlans", actions=["apigateway:GET"], resources=[f"{gateway}/usageplans"]),
            iam.PolicyStatement(
                sid="UsagePlanKeys",
                actions=["apigateway:POST", "apigateway:DELETE"],
                resources=[f"{gateway}/usageplans/{plan.ref}/keys", f"{gateway}/usageplans/{plan.ref}/keys/*"],
            ),
            iam.PolicyStatement(
                sid="MakeStageKeys",
                actions=["apigateway:POST"],
                resources=[f"{gateway}/apikeys"],
                conditions=tagged,
            ),
            iam.PolicyStatement(
                sid="TagStageKeys", actions=["apigateway:PUT"], resources=[f"{gateway}/tags/*"], conditions=tagged
            ),
            iam.PolicyStatement(
                sid="DeleteStageKeys",
                actions=["apigateway:DELETE"],
                resources=[f"{gateway}/apikeys/*"],
                conditions={"StringEquals": {f"aws:ResourceTag/{STAGE_TAG}": s.name}},
            ),
        ):
            self.role.add_to_policy(statement)

    def _custom_domain(self, s: StageSettings) -> None:
        """The stage's custom domain (edge-optimized, TLS 1.2) mapped to the API's stage at
        its root: `https://<domain>/webhooks/stripe`, `/book/<slug>`, `/api/v1/...`. DNS is
        the operator's: a CNAME (or an alias) to the `CustomDomainTarget` output."""
        if s.custom_domain is None:
            return
        domain = apigateway.CfnDomainName(
            self,
            "ApiDomain",
            domain_name=s.custom_domain,
            certificate_arn=s.certificate_arn,
            endpoint_configuration={"types": ["EDGE"]},
            security_policy="TLS_1_2",
        )
        mapping = apigateway.CfnBasePathMapping(
            self,
            "ApiDomainMapping",
            domain_name=domain.ref,
            rest_api_id=self.app.get_resource("RestAPI").ref,
            stage=API_STAGE,  # no base path: the domain's root is the stage's root
        )
        mapping.add_override("DependsOn", [domain.logical_id, f"RestAPI{API_STAGE}Stage"])
        cdk.CfnOutput(
            self,
            "CustomDomainTarget",
            value=domain.attr_distribution_domain_name,
            description=f"Point {s.custom_domain} here: a CNAME, or a Route 53 alias (docs/deploy.md §2b)",
        )

    def _api_logs(self, s: StageSettings, api: cdk.CfnResource, retain) -> None:
        """A record of every request: the access log (one JSON line a request, in a log
        group of ours) and API Gateway's execution log at ERROR (its log group, named by
        API Gateway's convention, created here so that it has a retention too)."""
        self.access_logs = logs.CfnLogGroup(
            self,
            "ApiAccessLogs",
            log_group_name=f"/rebook/{s.name}/api-access",
            retention_in_days=s.log_retention_days,
        )
        self.access_logs.apply_removal_policy(retain)
        api.add_property_override(
            "AccessLogSetting", {"DestinationArn": self.access_logs.attr_arn, "Format": access_log_format()}
        )
        self.execution_logs = logs.CfnLogGroup(
            self,
            "ApiExecutionLogs",
            log_group_name=cdk.Fn.sub("API-Gateway-Execution-Logs_${Api}/" + API_STAGE, {"Api": api.ref}),
            retention_in_days=s.log_retention_days,
        )
        self.execution_logs.apply_removal_policy(retain)
        # API Gateway writes to CloudWatch Logs with a role set once per account and region
        # (AWS::ApiGateway::Account); without it a stage with logging fails to deploy. The
        # role is kept when the stack goes: the account setting outlives the stack.
        push_role = iam.Role(
            self,
            "ApiGatewayLogsRole",
            assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
            description="Lets API Gateway write Rebook's access and execution logs.",
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name("service-role/AmazonAPIGatewayPushToCloudWatchLogs")
            ],
        )
        push_role.apply_removal_policy(cdk.RemovalPolicy.RETAIN)
        account = apigateway.CfnAccount(self, "ApiGatewayAccount", cloud_watch_role_arn=push_role.role_arn)
        # The API (and so its stage, deployed after it) waits for the account setting (and,
        # through DestinationArn, for the access log group). The execution log group is
        # named after the API, so it comes after the API, but long before API Gateway
        # would write (and create) it: at the first error a deployed stage logs.
        api.add_resource_dependency(account)

    # --- operations --------------------------------------------------------------------
    def _log_retention(self, s: StageSettings, retain) -> None:
        for name in self.functions:
            group = logs.CfnLogGroup(
                self,
                f"{name}Logs",
                retention_in_days=s.log_retention_days,
                log_group_name=cdk.Fn.join("", ["/aws/lambda/", self.app.get_resource(name).ref]),
            )
            group.apply_removal_policy(retain)

    def _alarms(self, s: StageSettings, env: dict) -> None:
        self.alarm_topic = sns.Topic(self, "Alarms", display_name=f"Rebook {s.name} alarms")
        if s.alarm_email:
            self.alarm_topic.add_subscription(subscriptions.EmailSubscription(s.alarm_email))
        five = cdk.Duration.minutes(5)
        # The app's own metrics, as Powertools writes them from the functions' environment:
        # its namespace, and the one dimension it adds to every metric (`service`).
        app_metrics = {"namespace": env["POWERTOOLS_METRICS_NAMESPACE"]}
        app_dimensions = {"service": env["POWERTOOLS_SERVICE_NAME"]}
        alarms = (
            [
                (
                    "Api5xx",
                    "The API answered with 5xx errors",
                    cloudwatch.Metric(
                        namespace="AWS/ApiGateway",
                        metric_name="5XXError",
                        statistic="Sum",
                        period=five,
                        dimensions_map={"ApiName": s.api_name, "Stage": API_STAGE},
                    ),
                ),
                (
                    "MessagesFailed",
                    "Messages failed for good (see the owner's failed-messages list)",
                    cloudwatch.Metric(
                        **app_metrics,
                        metric_name="messages_failed_permanently",
                        statistic="Sum",
                        period=cdk.Duration.minutes(15),
                        dimensions_map=app_dimensions,
                    ),
                ),
                (
                    "SmsBudgetExhausted",
                    "A business spent its daily SMS budget: its SMS stop until local midnight, email goes on "
                    "(the log line 'sms budget exhausted' names the business; docs/deploy.md)",
                    cloudwatch.Metric(
                        **app_metrics,
                        metric_name=SMS_BUDGET_METRIC,
                        statistic="Sum",
                        period=five,
                        dimensions_map=app_dimensions,
                    ),
                ),
                (
                    "AuditLost",
                    "An owner's change was kept but its audit entry could not be written (the log line "
                    "'audit after a commit failed' names the business and the action; docs/deploy.md)",
                    cloudwatch.Metric(
                        **app_metrics,
                        metric_name=AUDIT_LOST_METRIC,
                        statistic="Sum",
                        period=five,
                        dimensions_map=app_dimensions,
                    ),
                ),
            ]
            + [
                (
                    f"Ses{rate}",
                    f"The account's SES {what} rate reached {threshold:.1%}, where AWS warns (its review "
                    f"starts at {review}): find the addresses in the suppression list and the sender behind them "
                    "(docs/deploy.md §3)",
                    cloudwatch.Metric(
                        namespace="AWS/SES",
                        metric_name=f"Reputation.{rate}",
                        statistic="Maximum",
                        period=cdk.Duration.hours(1),
                    ),
                )
                for rate, what, threshold, review in SES_REPUTATION_ALARMS
            ]
            + [
                (
                    f"{name}Errors",
                    f"The scheduled job {name} failed",
                    cloudwatch.Metric(
                        namespace="AWS/Lambda",
                        metric_name="Errors",
                        statistic="Sum",
                        period=cdk.Duration.minutes(15),
                        dimensions_map={"FunctionName": self.app.get_resource(name).ref},
                    ),
                )
                for name in scheduled_functions()
            ]
        )
        thresholds = {f"Ses{rate}": threshold for rate, _, threshold, _ in SES_REPUTATION_ALARMS}
        for alarm_id, description, metric in alarms:
            alarm = cloudwatch.Alarm(
                self,
                alarm_id,
                metric=metric,
                threshold=thresholds.get(alarm_id, 1),
                evaluation_periods=1,
                alarm_description=description,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            alarm.add_alarm_action(cw_actions.SnsAction(self.alarm_topic))
