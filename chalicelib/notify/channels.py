"""The two ways a message leaves Rebook: email through SES, SMS through SNS.

Clients are created on first use (not at import: cold start) and kept per
(service, region, endpoint) for the life of the process (chalicelib/aws.py). Locally
the endpoint is moto's server; in AWS it is None (the regional endpoint).

Every provider failure becomes a SendError whose `reason` is "<service>:<code>"
(never the provider's message text, which can contain addresses). How codes map:

| Error (code or kind)                                   | permanent | throttled | why                  |
|--------------------------------------------------------|-----------|-----------|----------------------|
| Throttling, ThrottlingException, Throttled,            | no        | yes       | slow down, retry     |
|   TooManyRequestsException, KMSThrottling              |           |           |                      |
| ServiceUnavailable(Exception), InternalFailure,        | no        | no        | provider hiccup      |
|   InternalError(Exception), RequestTimeout(Exception), |           |           |                      |
|   connection errors, timeouts, no credentials          |           |           |                      |
| AccountSendingPausedException,                         | no        | no        | our setup is at      |
|   MailFromDomainNotVerifiedException,                  |           |           |                      |
|   ConfigurationSetSendingPausedException,              |           |           | fault: once fixed,   |
|   ConfigurationSetDoesNotExist, AuthorizationError,    |           |           | the messages still   |
|   AccessDenied(Exception), other KMS* errors           |           |           | go; none is lost     |
| MessageRejected,                                       | yes       | no        | this message will    |
|   InvalidParameter, InvalidParameterValue,             |           |           | never be accepted    |
|   ParameterValueInvalid, ValidationException,          |           |           |                      |
|   EndpointDisabled, OptedOut(Exception), NotFound,     |           |           |                      |
|   client-side ParamValidation, number not E.164        |           |           |                      |
| any other code                                         | no        | no        | retry, don't lose it |

Unknown codes are retried rather than dropped: the outbox backs off, and the reason
it records shows what is failing.
"""

from __future__ import annotations

import re
import unicodedata

from chalicelib.observability import logger
from chalicelib.settings import get_settings

THROTTLING = frozenset({"Throttling", "ThrottlingException", "Throttled", "TooManyRequestsException", "KMSThrottling"})
PERMANENT = frozenset(
    {
        "MessageRejected",
        "InvalidParameter",
        "InvalidParameterValue",
        "ParameterValueInvalid",
        "ValidationException",
        "EndpointDisabled",
        "OptedOut",
        "OptedOutException",
        "NotFound",
    }
)

_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


class SendError(Exception):
    """A message could not be handed to the provider. `reason` holds no personal data."""

    def __init__(self, reason: str, *, permanent: bool = False, throttled: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.throttled = throttled


def _client(service: str):
    from botocore.config import Config

    from chalicelib import aws

    settings = get_settings()
    # Few SDK retries: the outbox retries with backoff, and a request is waiting.
    config = Config(retries={"mode": "standard", "max_attempts": 2}, connect_timeout=3, read_timeout=10)
    return aws.client(service, region=settings.region, endpoint_url=settings.aws_endpoint, config=config)


def make_clients() -> None:
    """Make the SES and SNS clients now, no request made (chalicelib/snapshot.py: into the
    snapshot, so a restored copy's first message does not pay for them)."""
    for service in ("ses", "sns"):
        _client(service)


def reset_clients() -> None:
    """Forget cached clients (tests switch endpoints and mocks)."""
    from chalicelib import aws

    aws.reset()


def classify(service: str, error: Exception) -> SendError:
    """Map a boto3/botocore exception to a SendError (see the table above)."""
    from botocore.exceptions import ClientError, ParamValidationError

    if isinstance(error, ClientError):
        code = str(error.response.get("Error", {}).get("Code") or "Unknown")
        reason = f"{service}:{code}"
        if code in THROTTLING:
            return SendError(reason, throttled=True)
        return SendError(reason, permanent=code in PERMANENT)
    if isinstance(error, ParamValidationError):
        return SendError(f"{service}:ParamValidation", permanent=True)
    # Connection failures, timeouts, missing credentials: retry later.
    return SendError(f"{service}:{type(error).__name__}")


def _call(service: str, operation: str, **params) -> dict:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return getattr(_client(service), operation)(**params)
    except (ClientError, BotoCoreError) as e:
        err = classify(service, e)
        logger().warning(
            "provider call failed",
            extra={
                "provider": service,  # not "service": Powertools' own field names the app
                "operation": operation,
                "reason": err.reason,
                "permanent": err.permanent,
                "throttled": err.throttled,
            },
        )
        raise err from None


def send_email(raw: bytes, *, source: str, to: str, configuration_set: str | None = None) -> str:
    """Send a raw MIME message to one recipient through SES; returns SES's MessageId."""
    params = {"Source": source, "Destinations": [to], "RawMessage": {"Data": raw}}
    if configuration_set:
        params["ConfigurationSetName"] = configuration_set
    return _call("ses", "send_raw_email", **params)["MessageId"]


def clean_sender_id(value: str | None) -> str | None:
    """An alphanumeric SMS sender ID as operators accept it (1-11 letters/digits, at
    least one letter), or None to use the default sender."""
    # Drop accents first, so "Äijä" becomes "Aija" rather than "ij".
    plain = "".join(c for c in unicodedata.normalize("NFKD", value or "") if not unicodedata.combining(c))
    cleaned = re.sub(r"[^A-Za-z0-9]", "", plain)[:11]
    return cleaned if re.search(r"[A-Za-z]", cleaned) else None


def send_sms(phone_e164: str, text: str, *, sender_id: str | None = None) -> str:
    """Send a transactional SMS through SNS; returns SNS's MessageId."""
    if not _E164.match(phone_e164 or ""):
        raise SendError("sns:InvalidPhoneNumber", permanent=True)
    attributes = {"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}}
    sender = clean_sender_id(sender_id)
    if sender:
        attributes["AWS.SNS.SMS.SenderID"] = {"DataType": "String", "StringValue": sender}
    return _call("sns", "publish", PhoneNumber=phone_e164, Message=text, MessageAttributes=attributes)["MessageId"]


def is_opted_out(phone: str) -> bool:
    """Whether the number has replied STOP (SNS keeps the opt-out list)."""
    return bool(_call("sns", "check_if_phone_number_is_opted_out", phoneNumber=phone)["isOptedOut"])
