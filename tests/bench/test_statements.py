"""bench/statements.py: its statement counter, and the script run whole against this suite's database."""

import json
import subprocess
import sys

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection, connections, transaction

from tests.bench import script
from tests.e2e.conftest import postgres_server
from tests.support.harness import ROOT

statements = script("statements")


@pytest.mark.parametrize(
    ("sql", "kind"),
    [
        ('SELECT "calls_call"."id" FROM "calls_call"', "SELECT"),
        ("SELECT pg_notify(%s, '')", "NOTIFY"),
        ('INSERT INTO "calls_call" ("id") VALUES (%s)', "INSERT"),
        ('UPDATE "outbox_outboxitem" SET "status" = %s', "UPDATE"),
        ('DELETE FROM "django_session"', "DELETE"),
        ('SAVEPOINT "s1_x1"', "SAVEPOINT"),
        ('RELEASE SAVEPOINT "s1_x1"', "SAVEPOINT"),
        ('ROLLBACK TO SAVEPOINT "s1_x1"', "SAVEPOINT"),
        ("BEGIN IMMEDIATE", "BEGIN"),
        ("LISTEN textback_outbox", "other"),
    ],
)
def test_each_statement_is_counted_under_its_kind(sql, kind):
    assert statements.kind_of(sql) == kind


def test_a_transaction_counts_once_and_a_statement_outside_one_counts_as_its_own_commit(transactional_db):
    with statements.counting(connection) as tally:
        with transaction.atomic():
            ContentType.objects.create(app_label="bench", model="one")
            with transaction.atomic():
                ContentType.objects.filter(app_label="bench").update(model="two")
        assert ContentType.objects.filter(app_label="bench").count() == 1

    assert {k: v for k, v in tally.kinds.items() if v} == {
        "INSERT": 1,
        "UPDATE": 1,
        "SAVEPOINT": 2,  # SAVEPOINT and RELEASE
        "COMMIT": 1,
        "SELECT": 1,
    }
    assert (tally.autocommit, tally.commits) == (1, 2)
    assert tally.statements == 7  # BEGIN and COMMIT are two statements
    assert "commit" not in vars(connections["default"])  # the wrapping is undone


def test_the_script_counts_every_webhook_and_worker_step_on_this_suites_database(tmp_path):
    engine = "postgres" if postgres_server() else "sqlite"
    out = tmp_path / "counts.json"
    command = [sys.executable, "bench/statements.py", "--db", engine, "--json", str(out)]
    if postgres_server():
        command += ["--postgres", postgres_server()]

    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)

    assert result.returncode == 0, result.stdout + result.stderr
    rows = json.loads(out.read_text())[engine]
    voice, send = rows["carrier-forwarded missed call: /voice"], rows["worker: send one text"]
    assert voice["INSERT"] >= 1 and voice["commits"] >= 1
    assert send["UPDATE"] >= 1 and send["commits"] >= 1
    assert rows["= one missed call (/voice + one text)"]["statements"] == voice["statements"] + send["statements"]
    assert rows["worker: a batch of 50"]["COMMIT"] >= 1
    for step in [
        "/sms-status delivered",
        "inbound /sms reply",
        "screen: /screen Digits=1",
        "voicemail: /recording status",
    ]:
        assert rows[step]["statements"] > 0, step
    assert "carrier-forwarded missed call: /voice" in result.stdout
