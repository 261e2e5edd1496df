"""Under pytest-xdist the tests that share a started component go to one worker together
(it starts once), the pinned days' stack to a worker of its own, and every other test
wherever there is room; the longest are handed out first."""

from __future__ import annotations

from types import SimpleNamespace

from tests.conftest import pytest_collection_modifyitems, work_unit


def test_the_tests_on_one_stack_are_one_unit_and_the_pinned_days_another():
    browser = {
        work_unit("tests/browser/test_client_pages.py::test_rate_a_visit"),
        work_unit("tests/browser/test_dashboard.py::test_recent_low_scores"),
    }
    pinned = {
        work_unit(f"tests/browser/test_dashboard.py::test_the_periods_follow_the_pinned_day[pin-{day}]")
        for day in ("dst-forward", "first-of-year", "last-of-year", "dst-back")
    }
    assert len(browser) == 1 and len(pinned) == 1 and not browser & pinned


def test_the_modules_with_a_stack_of_their_own_are_units_of_their_own():
    desk = {work_unit(f"tests/browser/test_frontdesk.py::test_walk_in[{size}]") for size in ("phone", "desktop")}
    settings = work_unit("tests/browser/test_settings_ui.py::test_the_staff_view")
    shared = work_unit("tests/browser/test_dashboard.py::test_recent_low_scores")
    assert len(desk) == 1 and len(desk | {settings, shared}) == 3


def test_the_cdk_synth_is_one_unit_and_other_tests_are_their_own():
    assert work_unit("tests/infra/test_stack.py::test_mail_and_sms_settings") == work_unit(
        "tests/infra/test_stack.py::test_the_table_has_every_index_ttl_and_point_in_time_recovery[dev]"
    )
    assert work_unit("tests/notify/test_gsm.py::test_a") != work_unit("tests/notify/test_gsm.py::test_b")


def test_the_longest_are_handed_out_first_and_the_rest_keep_their_order():
    files = [
        "tests/admin/test_registry.py",
        "tests/browser/test_dashboard.py",
        "tests/notify/test_gsm.py",
        "tests/integration/test_kpi_aggregates.py",
        "tests/infra/test_stack.py",
    ]
    items = [SimpleNamespace(nodeid=f"{f}::test", name="test") for f in files]
    pytest_collection_modifyitems(items)
    assert [i.nodeid.split("::")[0] for i in items] == [
        "tests/integration/test_kpi_aggregates.py",
        "tests/browser/test_dashboard.py",
        "tests/infra/test_stack.py",
        "tests/admin/test_registry.py",
        "tests/notify/test_gsm.py",
    ]


def test_every_collected_test_has_a_node_id_of_its_own(request):
    """xdist hands out work by node id: two tests with one id would run as one."""
    ids = [item.nodeid for item in request.session.items]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
