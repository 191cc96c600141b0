"""Twilio's error codes: what the REST API answers (retry or stop) apart from what delivery reports carry."""

import pytest

from textback.providers.twilio import errors


@pytest.mark.parametrize(
    ("code", "status", "expected"),
    [
        ("21610", 400, (True, errors.OPTED_OUT)),
        ("21614", 400, (True, errors.LANDLINE)),
        ("21211", 400, (True, errors.INVALID)),
        ("21611", 400, (False, "")),  # the sender's queue is full: it drains
        ("20429", 429, (False, "")),
        ("20003", 401, (True, "")),
        ("", 503, (False, "")),
        ("", 429, (False, "")),
        ("99999", 400, (True, "")),
    ],
)
def test_rest_errors_are_permanent_or_transient(code, status, expected):
    assert errors.classify(code, status) == expected


def test_codes_only_delivery_reports_carry_are_not_in_the_rest_table():
    """A delivery report is final: these never get a retry label."""
    for code in ("30003", "30008", "30022", "30026", "30027"):
        assert code not in errors.REST_ERRORS
        assert code in errors.REPORT_ERRORS


@pytest.mark.parametrize(
    ("code", "consequence"),
    [("30006", errors.LANDLINE), ("30005", errors.INVALID), ("21610", errors.OPTED_OUT), ("30003", ""), ("", "")],
)
def test_a_delivery_report_teaches_what_its_code_means_for_the_recipient(code, consequence):
    assert errors.consequence(code) == consequence


def test_every_delivery_report_code_is_explained_in_plain_words_for_staff():
    assert errors.explain("30007") == (
        "the carrier filtered the text as spam: review the wording and the number's registration"
    )
    assert all(report.explanation for report in errors.REPORT_ERRORS.values())
    assert errors.explain("12345") == errors.explain(None) == ""
