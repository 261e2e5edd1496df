import subprocess
import sys
from pathlib import Path

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ParamValidationError
from botocore.stub import Stubber
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends
from moto.sns.models import sns_backends

from chalicelib import settings
from chalicelib.notify import channels
from chalicelib.notify.channels import SendError, classify, is_opted_out, send_email, send_sms
from chalicelib.notify.mime import build_email

REGION = "eu-north-1"
SENDER = "bookings@rebook.example"


@pytest.fixture
def aws_env(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("REBOOK_AWS_ENDPOINT", "")  # in-process moto, not a server
    settings.reset_settings()
    channels.reset_clients()
    yield
    channels.reset_clients()
    settings.reset_settings()


@pytest.fixture
def aws(aws_env):
    with mock_aws():
        yield


@pytest.fixture
def verified(aws):
    channels._client("ses").verify_email_identity(EmailAddress=SENDER)


def raw_email(to="maija@example.com"):
    return build_email(
        sender=f"Salon Aurora <{SENDER}>",
        to=to,
        subject="Varaus vahvistettu",
        text="Hei Maija",
        html="<p>Hei Maija</p>",
    )


def client_error(code, status=400, operation="SendRawEmail"):
    return ClientError(
        {
            "Error": {"Code": code, "Message": "Address maija@example.com is bad"},
            "ResponseMetadata": {"HTTPStatusCode": status},
        },
        operation,
    )


# --- email ----------------------------------------------------------------------


def test_send_email_goes_through_ses(verified):
    message_id = send_email(raw_email(), source=SENDER, to="maija@example.com")
    sent = ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages
    assert len(sent) == 1
    assert sent[0].id == message_id
    assert sent[0].source == SENDER
    assert "maija@example.com" in sent[0].destinations
    assert "Subject: Varaus vahvistettu" in sent[0].raw_data


def test_unverified_sender_is_a_permanent_rejection_without_personal_data(aws, caplog):
    caplog.set_level("DEBUG", logger="rebook")
    with pytest.raises(SendError) as info:
        send_email(raw_email(), source="someone@unverified.example", to="maija@example.com")
    assert info.value.permanent and not info.value.throttled
    assert info.value.reason == "ses:MessageRejected"
    assert "@" not in info.value.reason and "@" not in str(info.value)
    [record] = [r for r in caplog.records if r.getMessage() == "provider call failed"]
    assert record.reason == "ses:MessageRejected" and record.provider == "ses"
    assert "@" not in str(record.__dict__)
    assert "@" not in caplog.text and "maija" not in caplog.text.lower()


def test_configuration_set_is_passed_on(verified):
    with Stubber(channels._client("ses")) as stub:
        stub.add_response(
            "send_raw_email",
            {"MessageId": "m-1"},
            {
                "Source": SENDER,
                "Destinations": ["maija@example.com"],
                "RawMessage": {"Data": b"raw"},
                "ConfigurationSetName": "rebook",
            },
        )
        assert send_email(b"raw", source=SENDER, to="maija@example.com", configuration_set="rebook") == "m-1"


def test_ses_throttling_is_retryable_and_marked(verified):
    with Stubber(channels._client("ses")) as stub:
        stub.add_client_error(
            "send_raw_email",
            service_error_code="Throttling",
            service_message="Maximum sending rate exceeded.",
            http_status_code=400,
        )
        with pytest.raises(SendError) as info:
            send_email(raw_email(), source=SENDER, to="maija@example.com")
    assert info.value.throttled and not info.value.permanent


def test_paused_account_is_retried_not_dropped(verified):
    with Stubber(channels._client("ses")) as stub:
        stub.add_client_error("send_raw_email", service_error_code="AccountSendingPausedException")
        with pytest.raises(SendError) as info:
            send_email(raw_email(), source=SENDER, to="maija@example.com")
    assert not info.value.permanent and not info.value.throttled


# --- SMS ------------------------------------------------------------------------


def test_send_sms_goes_through_sns(aws):
    message_id = send_sms("+358401234567", "Hei Maija! Varaus vahvistettu.", sender_id="Aurora")
    assert sns_backends[DEFAULT_ACCOUNT_ID][REGION].sms_messages[message_id] == (
        "+358401234567",
        "Hei Maija! Varaus vahvistettu.",
    )


def test_sms_is_transactional_with_sender_id(aws):
    expected = {
        "PhoneNumber": "+358401234567",
        "Message": "Hei",
        "MessageAttributes": {
            "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
            "AWS.SNS.SMS.SenderID": {"DataType": "String", "StringValue": "SalonAurora"},
        },
    }
    with Stubber(channels._client("sns")) as stub:
        stub.add_response("publish", {"MessageId": "s-1"}, expected)
        assert send_sms("+358401234567", "Hei", sender_id="Salon Aurora!") == "s-1"


def test_sms_without_sender_id_uses_the_default_sender(aws):
    expected = {
        "PhoneNumber": "+358401234567",
        "Message": "Hei",
        "MessageAttributes": {"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}},
    }
    with Stubber(channels._client("sns")) as stub:
        stub.add_response("publish", {"MessageId": "s-2"}, expected)
        assert send_sms("+358401234567", "Hei") == "s-2"


@pytest.mark.parametrize(
    "given, expected",
    [
        ("Aurora", "Aurora"),
        ("Salon Aurora", "SalonAurora"),
        ("Parturi-Kampaamo", "ParturiKamp"),
        ("12345", None),
        ("", None),
        (None, None),
        ("Äijä", "Aija"),
    ],
)
def test_sender_id_is_made_acceptable_to_operators(given, expected):
    assert channels.clean_sender_id(given) == expected


@pytest.mark.parametrize("phone", ["0401234567", "+358 40 123 4567", "", "+0123456789"])
def test_number_not_in_e164_is_a_permanent_failure_before_calling_sns(aws, phone):
    with pytest.raises(SendError) as info:
        send_sms(phone, "Hei")
    assert info.value.permanent
    assert sns_backends[DEFAULT_ACCOUNT_ID][REGION].sms_messages == {}


def test_sns_throttling_is_retryable(aws, caplog):
    caplog.set_level("DEBUG", logger="rebook")
    with Stubber(channels._client("sns")) as stub:
        stub.add_client_error("publish", service_error_code="Throttled", http_status_code=429)
        with pytest.raises(SendError) as info:
            send_sms("+358401234567", "Hei")
    assert info.value.throttled and not info.value.permanent
    assert info.value.reason == "sns:Throttled"
    assert "1234567" not in caplog.text and "Hei" not in caplog.text


def test_invalid_number_at_sns_is_permanent(aws):
    with Stubber(channels._client("sns")) as stub:
        stub.add_client_error("publish", service_error_code="InvalidParameter")
        with pytest.raises(SendError) as info:
            send_sms("+358401234567", "Hei")
    assert info.value.permanent


def test_opt_out_list_is_consulted(aws):
    # moto treats numbers ending in 99 as opted out.
    assert is_opted_out("+358401234599") is True
    assert is_opted_out("+358401234567") is False


# --- classification ---------------------------------------------------------------


@pytest.mark.parametrize(
    "code, permanent, throttled",
    [
        ("Throttling", False, True),
        ("ThrottlingException", False, True),
        ("TooManyRequestsException", False, True),
        ("Throttled", False, True),
        ("ServiceUnavailable", False, False),
        ("InternalFailure", False, False),
        ("InternalError", False, False),
        ("RequestTimeout", False, False),
        ("AccountSendingPausedException", False, False),
        ("ConfigurationSetDoesNotExist", False, False),
        ("MessageRejected", True, False),
        ("MailFromDomainNotVerifiedException", False, False),  # our setup: retry once fixed
        ("InvalidParameter", True, False),
        ("InvalidParameterValue", True, False),
        ("ParameterValueInvalid", True, False),
        ("OptedOut", True, False),
        ("SomethingNew", False, False),
    ],
)
def test_error_codes_are_classified(code, permanent, throttled):
    err = classify("ses", client_error(code))
    assert (err.permanent, err.throttled) == (permanent, throttled)
    assert err.reason == f"ses:{code}"


def test_connection_errors_are_retryable():
    err = classify("sns", EndpointConnectionError(endpoint_url="https://sns.eu-north-1.amazonaws.com"))
    assert not err.permanent and not err.throttled


def test_client_side_validation_errors_are_permanent():
    assert classify("ses", ParamValidationError(report="bad")).permanent


def test_unreachable_endpoint_gives_a_retryable_send_error(aws_env, monkeypatch):
    monkeypatch.setenv("REBOOK_AWS_ENDPOINT", "http://127.0.0.1:9")  # discard port: nothing listens
    settings.reset_settings()
    with pytest.raises(SendError) as info:
        send_sms("+358401234567", "Hei")
    assert not info.value.permanent


# --- clients ----------------------------------------------------------------------


def test_clients_are_created_once_and_reused(aws):
    assert channels._client("ses") is channels._client("ses")
    assert channels._client("ses") is not channels._client("sns")


def test_clients_follow_region_and_endpoint_settings(aws_env, monkeypatch):
    monkeypatch.setenv("REBOOK_AWS_ENDPOINT", "http://127.0.0.1:5000")
    settings.reset_settings()
    local = channels._client("sns")
    assert local.meta.endpoint_url == "http://127.0.0.1:5000"
    assert local.meta.region_name == REGION
    monkeypatch.setenv("REBOOK_AWS_ENDPOINT", "")
    settings.reset_settings()
    assert channels._client("sns") is not local


def test_importing_notify_modules_does_not_import_boto3():
    code = (
        "import sys\n"
        "import chalicelib.notify.channels, chalicelib.notify.render, chalicelib.notify.ics\n"
        "import chalicelib.notify.mime, chalicelib.notify.gsm, chalicelib.notify.localtime\n"
        "print(sorted(m for m in ('boto3', 'botocore', 'jinja2', 'icalendar') if m in sys.modules))"
    )
    repo = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=repo)
    assert out.stdout.strip() == "[]"
