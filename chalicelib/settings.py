"""Process configuration, read once from the environment.

Everything that differs between the local stack, the tests and AWS lives here, so
the rest of the code never reads os.environ itself.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

LOCAL_STAGES = ("local", "test")


@dataclass(frozen=True)
class Settings:
    stage: str
    table_name: str
    region: str
    dynamodb_endpoint: str | None  # DynamoDB Local; None in AWS
    aws_endpoint: str | None  # moto server standing in for SES/SNS locally
    public_url: str  # base of every link we send
    link_secret: str | None  # local/tests; AWS reads the secret named link_secret_id
    link_secret_id: str | None
    ses_configuration_set: str | None  # SES event publishing (AWS; set by the CDK app)
    email_from: str
    config_cache_seconds: int
    send_workers: int
    # Owner JWTs: the JWKS that signs them (Cognito's URL in AWS, a file locally),
    # and the issuer and audience (Cognito app client id) they must carry.
    auth_jwks_url: str | None
    auth_jwks_file: str | None
    auth_issuer: str | None
    auth_audience: str | None
    pinned_now: datetime | None = None  # REBOOK_NOW: the clock stopped there (local and test only)
    import_workers: int = 4  # concurrent writes of a CSV import's chunk
    kpi_workers: int = 4  # businesses kpi_sync syncs at once
    # REBOOK_MEDIA_URL: where the business images are served from (CloudFront in AWS);
    # the app's own /static/img locally.
    media_url: str = "/static/img"
    clock_file: str | None = None  # REBOOK_CLOCK_FILE: where run-job --now moves the clock (local and test only)
    # REBOOK_WEBHOOKS_ALLOW_PRIVATE=1: webhooks may go to private/loopback addresses and
    # plain http (the tests' receiver, `make run`); honoured only in local and test stages.
    webhooks_allow_private: bool = False
    webhook_timeout_seconds: float = 5.0  # REBOOK_WEBHOOK_TIMEOUT: connect + send + answer, in all, per attempt
    # Stripe (docs/payments.md). Each business has its own Stripe account: its keys are
    # one Secrets Manager secret, <stripe_secret_prefix><business id>, in AWS; locally
    # and in tests one set of keys from the environment serves every business, and the
    # API and Stripe.js come from localstripe (stripe_api_base, stripe_js_url).
    stripe_api_base: str | None = None
    stripe_js_url: str = "https://js.stripe.com/v3/"
    stripe_secret_key: str | None = None
    stripe_publishable_key: str | None = None
    stripe_webhook_secret: str | None = None
    stripe_secret_prefix: str | None = None
    # API Gateway usage plans (AWS only; unset locally, where the in-app per-minute limit
    # alone meters keys): the plan every integration key's gateway key joins, by name
    # (REBOOK_KEY_USAGE_PLAN), and the usage identifier of the owners' signed-in
    # requests (REBOOK_OWNER_USAGE_KEY, the value of the stack's owners' key).
    key_usage_plan: str | None = None
    owner_usage_key: str | None = None

    @property
    def is_local(self) -> bool:
        return self.stage in LOCAL_STAGES


def _pinned_now(stage: str, value: str | None) -> datetime | None:
    """REBOOK_NOW, honoured only where nothing real depends on the time."""
    if not value or stage not in LOCAL_STAGES:
        return None
    from chalicelib.domain.timeutil import parse_instant

    return parse_instant(value)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    env = os.environ
    # No default to "local": packaging a deployment must never include local-only routes.
    stage = env.get("REBOOK_STAGE", "unset")
    return Settings(
        stage=stage,
        table_name=env.get("REBOOK_TABLE", f"rebook-{stage}"),
        region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or env.get("REBOOK_DEFAULT_REGION", "eu-north-1"),
        dynamodb_endpoint=env.get("REBOOK_DYNAMODB_ENDPOINT") or None,
        aws_endpoint=env.get("REBOOK_AWS_ENDPOINT") or None,
        public_url=env.get("REBOOK_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/"),
        link_secret=env.get("REBOOK_LINK_SECRET") or None,
        link_secret_id=env.get("REBOOK_LINK_SECRET_ID") or None,
        ses_configuration_set=env.get("REBOOK_SES_CONFIGURATION_SET") or None,
        email_from=env.get("REBOOK_EMAIL_FROM", "bookings@rebook.local"),
        config_cache_seconds=int(env.get("REBOOK_CONFIG_CACHE_SECONDS", "60")),
        send_workers=int(env.get("REBOOK_SEND_WORKERS", "32")),
        auth_jwks_url=env.get("REBOOK_AUTH_JWKS_URL") or None,
        auth_jwks_file=env.get("REBOOK_AUTH_JWKS_FILE") or None,
        auth_issuer=env.get("REBOOK_AUTH_ISSUER") or None,
        auth_audience=env.get("REBOOK_AUTH_AUDIENCE") or None,
        pinned_now=_pinned_now(stage, env.get("REBOOK_NOW")),
        import_workers=max(1, int(env.get("REBOOK_IMPORT_WORKERS", "4"))),
        kpi_workers=max(1, int(env.get("REBOOK_KPI_WORKERS", "4"))),
        clock_file=(env.get("REBOOK_CLOCK_FILE") or None) if stage in LOCAL_STAGES else None,
        stripe_api_base=(env.get("REBOOK_STRIPE_API_BASE") or None) if stage in LOCAL_STAGES else None,
        stripe_js_url=env.get("REBOOK_STRIPE_JS_URL") or "https://js.stripe.com/v3/",
        stripe_secret_key=env.get("REBOOK_STRIPE_SECRET_KEY") or None,
        stripe_publishable_key=env.get("REBOOK_STRIPE_PUBLISHABLE_KEY") or None,
        stripe_webhook_secret=env.get("REBOOK_STRIPE_WEBHOOK_SECRET") or None,
        stripe_secret_prefix=env.get("REBOOK_STRIPE_SECRET_PREFIX") or None,
        media_url=(env.get("REBOOK_MEDIA_URL") or "/static/img").rstrip("/"),
        webhooks_allow_private=stage in LOCAL_STAGES and env.get("REBOOK_WEBHOOKS_ALLOW_PRIVATE", "") in ("1", "true"),
        webhook_timeout_seconds=float(env.get("REBOOK_WEBHOOK_TIMEOUT", "5")),
        key_usage_plan=env.get("REBOOK_KEY_USAGE_PLAN") or None,
        owner_usage_key=env.get("REBOOK_OWNER_USAGE_KEY") or None,
    )


def reset_settings() -> None:
    """Forget the cached settings (tests change the environment between runs)."""
    get_settings.cache_clear()
