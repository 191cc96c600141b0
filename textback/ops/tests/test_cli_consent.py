"""`textback consent export|retention`: the ledger as CSV and the retention setting, from a shell."""

import csv
import io

from textback.messaging.models import ConsentEvent
from textback.outbox.models import OutboxItem
from textback.rules import retention
from textback.rules.models import Retention


def opt_out(business, number: str, words: str) -> None:
    from django.utils import timezone

    ConsentEvent.objects.create(business=business, number=number, kind=ConsentEvent.OPT_OUT, source="phrase",
                                keyword=words, created_at=timezone.now())  # fmt: skip


def test_it_writes_the_business_ledger_as_csv(textback, acme, bolt):
    opt_out(acme, "+15125550147", "stop texting me")
    opt_out(bolt, "+15125550148", "alto")

    result = textback("consent", "export", "--business", "acme")

    assert result.code == 0
    header, *rows = list(csv.reader(io.StringIO(result.out)))
    assert header[1] == "number"
    assert [(r[1], r[4]) for r in rows] == [("+15125550147", "stop texting me")]


def test_it_writes_one_numbers_entries_typed_as_people_type_them(textback, acme):
    opt_out(acme, "+15125550147", "remove me")
    opt_out(acme, "+15125550148", "STOP")

    result = textback("consent", "export", "--business", "acme", "--number", "(512) 555-0147")

    assert [r[1] for r in list(csv.reader(io.StringIO(result.out)))[1:]] == ["+15125550147"]


def test_it_writes_to_a_file(textback, acme, tmp_path):
    opt_out(acme, "+15125550147", "remove me")
    path = tmp_path / "ledger.csv"

    result = textback("consent", "export", "--business", "acme", "--output", str(path))

    assert "Wrote 1 entry" in result.err
    assert "remove me" in path.read_text()


def test_an_unknown_business_is_a_usage_error(textback):
    assert textback("consent", "export", "--business", "nope").code == 2


def test_retention_is_for_ever_until_set(textback, acme):
    assert "for ever" in textback("consent", "retention", "--business", "acme").out


def test_it_sets_retention_and_queues_the_nightly_run(textback, acme):
    result = textback("consent", "retention", "--business", "acme", "--days", "90")

    assert "for 90 days" in result.out
    assert Retention.objects.get(business=acme).days == 90
    assert OutboxItem.objects.filter(kind=retention.RETENTION, status=OutboxItem.PENDING).count() == 1
    textback("consent", "retention", "--business", "acme", "--days", "forever")
    assert Retention.objects.get(business=acme).days is None
    assert not OutboxItem.objects.filter(kind=retention.RETENTION, status=OutboxItem.PENDING).exists()


def test_a_retention_that_is_not_a_number_of_days_is_refused(textback, acme):
    for days in ("0", "-1", "ten", "99999999"):
        result = textback("consent", "retention", "--business", "acme", "--days", days)
        assert result.code == 2 and "whole number of days" in result.err
    assert not Retention.objects.exists()


def test_business_set_takes_the_retention_too(textback, acme):
    result = textback("business", "set", "acme", "--retention-days", "365")

    assert result.code == 0 and "--retention-days" in result.out
    assert Retention.objects.get(business=acme).days == 365
    assert textback("business", "set", "acme", "--retention-days", "soon").code == 2
    assert Retention.objects.get(business=acme).days == 365
