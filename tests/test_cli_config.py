"""`rebook validate-business` and `load-business`: an owner checks a config file before
loading it; the CLI's failures to reach DynamoDB or AWS are one line each."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "config" / "businesses" / "demo.yaml"


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("REBOOK_", "AWS_"))}
    return subprocess.run(
        [sys.executable, "-m", "scripts.rebook_cli", *args],
        cwd=ROOT,
        env=clean | (env or {}),
        capture_output=True,
        text=True,
        timeout=120,
    )


def demo_data() -> dict:
    return yaml.safe_load(DEMO.read_text(encoding="utf-8"))


def write_yaml(tmp_path: Path, data, name="business.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_validate_demo_prints_ok():
    result = run_cli("validate-business", str(DEMO))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok: demo (Salon Aurora): 6 services, 3 staff"
    assert result.stderr == ""


def test_validate_relative_path_from_the_repo_root():
    result = run_cli("validate-business", "config/businesses/demo.yaml")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok: demo ")


def test_validate_json_file(tmp_path):
    from chalicelib.domain.config import parse_business_config

    # The stored JSON form (what the API serves) is a valid input file too.
    path = tmp_path / "business.json"
    path.write_text(json.dumps(parse_business_config(demo_data()).model_dump(mode="json")), encoding="utf-8")
    result = run_cli("validate-business", str(path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok: demo ")


def test_broken_config_exits_2_and_lists_every_problem_with_its_path(tmp_path):
    data = demo_data()
    data["timezone"] = "Europe/Helsink"
    data["review_link"] = "http://g.page/r/salon-aurora-demo/review"
    data["services"][1]["duration_minutes"] = 33
    data["staff"][2]["hours"]["mon"] = ["18:00", "09:00"]
    data["sms_sender"] = "12345"
    path = write_yaml(tmp_path, data)

    result = run_cli("validate-business", str(path))

    assert result.returncode == 2
    assert result.stdout == ""
    err = result.stderr
    assert f"error: {path} has 5 problem(s):" in err
    problems = [line.strip()[2:] for line in err.splitlines() if line.strip().startswith("- ")]
    assert problems == [
        "timezone: 'Europe/Helsink' is not an IANA time zone such as Europe/Helsinki",
        "review_link: must be an https:// URL",
        "sms_sender: an SMS sender ID needs at least one letter",
        "services[1]: duration_minutes must be a multiple of 5",
        "staff[2].hours.mon: interval 18:00-09:00 ends before it starts",
    ]
    assert "Traceback" not in err


def test_cross_reference_problem_is_reported(tmp_path):
    data = demo_data()
    data["staff"][1]["services"].append("perm")
    result = run_cli("validate-business", str(write_yaml(tmp_path, data)))
    assert result.returncode == 2
    assert "staff 'mikko' offers unknown services: perm" in result.stderr


def test_malformed_yaml_exits_non_zero_with_a_message(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("slug: demo\nname: [Salon Aurora\nopening_hours:\n  mon: 09:00\n", encoding="utf-8")
    result = run_cli("validate-business", str(path))
    assert result.returncode != 0
    assert f"error: {path} is not valid YAML" in result.stderr
    assert "line" in result.stderr
    assert "Traceback" not in result.stderr


def test_malformed_json_exits_non_zero_with_a_message(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"slug": "demo",', encoding="utf-8")
    result = run_cli("validate-business", str(path))
    assert result.returncode != 0
    assert f"error: {path} is not valid JSON" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("content", ["", "- just\n- a list\n", "just a string\n"])
def test_yaml_that_is_not_a_mapping(tmp_path, content):
    path = tmp_path / "odd.yaml"
    path.write_text(content, encoding="utf-8")
    result = run_cli("validate-business", str(path))
    assert result.returncode != 0
    assert "must contain a mapping" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_file(tmp_path):
    path = tmp_path / "nope.yaml"
    result = run_cli("validate-business", str(path))
    assert result.returncode != 0
    assert f"error: no such file: {path}" in result.stderr
    assert "Traceback" not in result.stderr


def test_directory_is_not_a_file(tmp_path):
    result = run_cli("validate-business", str(tmp_path))
    assert result.returncode != 0
    assert "no such file" in result.stderr


def test_missing_argument_is_a_usage_error():
    result = run_cli("validate-business")
    assert result.returncode == 2
    assert "usage:" in result.stderr


def test_timezone_naming_a_region_is_a_listed_problem(tmp_path):
    data = demo_data()
    data["timezone"] = "Europe"
    result = run_cli("validate-business", str(write_yaml(tmp_path, data)))
    assert "Traceback" not in result.stderr
    assert result.returncode == 2
    assert "timezone: " in result.stderr


def test_an_image_name_the_set_does_not_have_is_a_warning_not_a_failure(tmp_path):
    data = demo_data()
    data["shop"]["logo"] = "my-salon-logo"
    data["staff"][1]["photo"] = "mikko-2027"
    result = run_cli("validate-business", str(write_yaml(tmp_path, data)))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok: demo ")
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    assert warnings == [
        "warning: shop.logo: no image 'my-salon-logo' in chalicelib/static/img/manifest.json (the page shows none)",
        "warning: staff[1].photo: no image 'mikko-2027' in chalicelib/static/img/manifest.json (the page shows none)",
    ]


def load_business(capsys, path: Path) -> str:
    from scripts import rebook_cli

    rebook_cli.main(["load-business", str(path)])
    return capsys.readouterr().out


def test_load_business_refuses_new_payment_terms_under_the_stored_version(aws, tmp_path, capsys):
    data = demo_data()
    data["payments"]["terms"]["no_show_fee_percent"] = 90
    with pytest.raises(SystemExit) as exit_:
        load_business(capsys, write_yaml(tmp_path, data))
    assert "payments.version" in str(exit_.value) and exit_.value.code != 0

    service = next(s for s in data["services"] if s.get("payment"))
    del service["payment"]  # a service's own policy is part of the terms too
    data["payments"]["terms"] = demo_data()["payments"]["terms"]
    with pytest.raises(SystemExit, match=r"payments\.version"):
        load_business(capsys, write_yaml(tmp_path, data))

    data["payments"]["version"] = demo_data()["payments"].get("version", 1) + 1
    assert load_business(capsys, write_yaml(tmp_path, data)).startswith("updated business 'demo'")
    # An older file (the terms before, under a lower version) names a version again: refused.
    with pytest.raises(SystemExit, match=r"payments\.version"):
        load_business(capsys, write_yaml(tmp_path, demo_data()))


def test_load_business_takes_other_changes_under_the_same_version(aws, tmp_path, capsys):
    data = demo_data()
    data["name"] = "Salon Aurora & Co"
    data["payments"]["hold_minutes"] = 15  # not a term the client accepts
    assert load_business(capsys, write_yaml(tmp_path, data)).startswith("updated business 'demo'")


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_no_local_stack_is_one_line_and_exit_2(tmp_path):
    endpoint = f"http://127.0.0.1:{free_port()}"  # nobody listens there
    result = run_cli(
        "owner-token", "demo", env={"REBOOK_DATA_DIR": str(tmp_path), "REBOOK_DYNAMODB_ENDPOINT": endpoint}
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"error: cannot reach DynamoDB at {endpoint}: is the local stack running? Start it with `make run`, "
        "or set REBOOK_DATA_DIR to the data dir of the stack you started"
    )


def test_no_aws_credentials_is_one_line_and_exit_2(tmp_path):
    nowhere = str(tmp_path / "none")
    result = run_cli(
        "load-business",
        str(DEMO),
        env={
            "REBOOK_STAGE": "dev",
            "AWS_SHARED_CREDENTIALS_FILE": nowhere,
            "AWS_CONFIG_FILE": nowhere,
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_DEFAULT_REGION": "eu-north-1",
        },
    )
    assert result.returncode == 2
    assert result.stderr.startswith("error: no AWS credentials for REBOOK_STAGE=dev: ")
    assert len(result.stderr.strip().splitlines()) == 1


def _stored(aws):
    from chalicelib.store import businesses

    business = businesses.get_by_id(aws.id)
    assert business is not None
    return business


def _owner_opens_sundays(aws) -> None:
    """The owner's Sunday hours, saved on the settings screen after the file was loaded."""
    from chalicelib.store import businesses

    found = businesses.read_for_change(aws.id)
    assert found is not None
    stored, version = found
    hours = stored.config.opening_hours.model_copy(update={"sun": stored.config.opening_hours.mon[:1]})
    businesses.replace_config(aws.id, stored.config.model_copy(update={"opening_hours": hours}), version)


def test_loading_a_file_again_does_not_undo_what_the_owner_changed_since(aws, tmp_path, capsys):
    """A deploying engineer's walk: the owner opened on Sundays on her settings screen, the
    operator added a closed day to the file and loaded it again: her Sundays were gone,
    silently. Now the load is refused, naming what it would undo; the settings as they are
    now come out of export-business, and what the file alone changes goes in."""
    from chalicelib import clock
    from chalicelib.store import audit
    from scripts import rebook_cli

    _owner_opens_sundays(aws)
    data = demo_data()
    data["name"] = "Salon Aurora & Co"  # the operator's own change
    with pytest.raises(SystemExit) as refused:
        load_business(capsys, write_yaml(tmp_path, data))
    assert "opening_hours.sun: now [" in str(refused.value) and "the file []" in str(refused.value), refused.value
    assert "  - name:" not in str(refused.value)  # the file's own change is not the owner's
    assert _stored(aws).config.opening_hours.sun  # nothing written
    # Merged: the settings as they are now, with the operator's change on top.
    rebook_cli.main(["export-business", "demo"])
    now = yaml.safe_load(capsys.readouterr().out)
    assert now["opening_hours"]["sun"]
    now["name"] = "Salon Aurora & Co"
    assert load_business(capsys, write_yaml(tmp_path, now)).startswith("updated business 'demo'")
    stored = _stored(aws).config
    assert stored.name == "Salon Aurora & Co" and stored.opening_hours.sun
    # Loaded as it was, the next file's Sunday is the file's to set: no owner change since.
    now["opening_hours"]["sun"] = []
    assert load_business(capsys, write_yaml(tmp_path, now)).startswith("updated business 'demo'")
    assert not _stored(aws).config.opening_hours.sun
    [entry, *_] = audit.month(aws.id, clock.now().strftime("%Y-%m"))
    assert entry.action == "load_business" and entry.role == "operator" and (entry.detail or {})["replaced"] == []


def test_the_owners_changes_are_replaced_only_when_asked_and_the_trail_says_which(aws, tmp_path, capsys):
    from chalicelib import clock
    from chalicelib.store import audit
    from scripts import rebook_cli

    _owner_opens_sundays(aws)
    rebook_cli.main(["load-business", str(write_yaml(tmp_path, demo_data())), "--replace-owner-changes"])
    assert "replaced 1 setting(s) the owner had changed" in capsys.readouterr().out
    assert not _stored(aws).config.opening_hours.sun
    [entry, *_] = audit.month(aws.id, clock.now().strftime("%Y-%m"))
    assert entry.action == "load_business" and (entry.detail or {})["replaced"] == ["opening_hours.sun"]


def test_a_key_given_twice_is_refused_not_the_first_dropped(tmp_path):
    """A second `closures:` block appended to a file dropped the first (its holidays
    bookable), and `validate-business` said ok."""
    text = DEMO.read_text(encoding="utf-8") + "\nclosures:\n  - 2027-01-06\n"
    (tmp_path / "twice.yaml").write_text(text, encoding="utf-8")
    result = run_cli("validate-business", str(tmp_path / "twice.yaml"))
    assert result.returncode != 0 and "'closures' is given twice" in result.stderr + result.stdout
    (tmp_path / "twice.json").write_text('{"slug": "a", "slug": "b"}', encoding="utf-8")
    result = run_cli("validate-business", str(tmp_path / "twice.json"))
    assert result.returncode != 0 and "'slug' is given twice" in result.stderr + result.stdout


def test_a_file_in_latin_1_is_named_and_a_byte_order_mark_is_read(tmp_path):
    data = demo_data()
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("slug: klipp\nname: Klipp Södermalm\n".encode("latin-1"))
    result = run_cli("validate-business", str(latin))
    assert result.returncode != 0 and "is not UTF-8" in result.stderr and "Traceback" not in result.stderr
    from chalicelib.domain.config import parse_business_config

    marked = tmp_path / "notepad.json"
    marked.write_text("\ufeff" + json.dumps(parse_business_config(data).model_dump(mode="json")), encoding="utf-8")
    result = run_cli("validate-business", str(marked))
    assert result.returncode == 0, result.stderr


def test_staff_hours_no_client_can_book_are_a_warning(tmp_path):
    """A deploying engineer's walk: a barber working Sundays in a shop closed on Sundays,
    a nail technician with no hours at all; both validated "ok" and were never bookable."""
    data = demo_data()
    data["staff"][0]["hours"]["sun"] = [["11:00", "15:00"]]
    data["staff"][1]["hours"] = {}
    result = run_cli("validate-business", str(write_yaml(tmp_path, data)))
    assert result.returncode == 0, result.stderr  # a warning, not a failure
    assert "staff[0] (Aino Virtanen) works on sun, when the business is closed" in result.stderr
    assert "staff[1]" in result.stderr and "has no working hours" in result.stderr
    assert "warning" not in run_cli("validate-business", str(DEMO)).stderr


def test_a_settings_save_during_the_load_is_not_undone(aws, tmp_path, capsys, monkeypatch):
    """A probe: the owner saved between the load's check and its write, and the write
    undid her save unseen. The write is made only at the version the check read."""
    from chalicelib.store import businesses

    data = demo_data()
    data["name"] = "Salon Aurora & Co"
    real = businesses.save_config

    def owner_saves_first(cfg, version=None):
        _owner_opens_sundays(aws)
        return real(cfg, version)

    monkeypatch.setattr(businesses, "save_config", owner_saves_first)
    with pytest.raises(SystemExit, match="were saved while"):
        load_business(capsys, write_yaml(tmp_path, data))
    stored = _stored(aws).config
    assert stored.opening_hours.sun and stored.name == "Salon Aurora"  # hers kept, nothing of the file


def test_a_yaml_merge_key_still_loads(tmp_path):
    """`<<: *anchor` (a probe: the duplicate-key check refused it): its keys are defaults
    the mapping's own override, not keys given twice."""
    text = DEMO.read_text(encoding="utf-8")
    aino = '    hours:\n      mon: ["09:00", "17:00"]\n'
    assert text.count(aino) == 1
    text = text.replace(aino, '    hours: &aino\n      mon: ["09:00", "17:00"]\n')
    sanna = '    hours:\n      mon: ["09:00", "18:00"]\n'
    assert text.count(sanna) == 1
    text = text.replace(sanna, '    hours:\n      <<: *aino\n      mon: ["09:00", "18:00"]\n')
    (tmp_path / "merge.yaml").write_text(text, encoding="utf-8")
    result = run_cli("validate-business", str(tmp_path / "merge.yaml"))
    assert result.returncode == 0, result.stderr


def test_the_owners_order_of_services_is_hers_too(aws, tmp_path, capsys):
    """A probe: she put her services in another order on the settings screen; the file's
    order came back without a word."""
    from chalicelib.store import businesses

    found = businesses.read_for_change(aws.id)
    assert found is not None
    stored, version = found
    reordered = stored.config.model_copy(update={"services": tuple(reversed(stored.config.services))})
    businesses.replace_config(aws.id, reordered, version)
    with pytest.raises(SystemExit, match=r"services\[order\]: now \["):
        load_business(capsys, write_yaml(tmp_path, demo_data()))
