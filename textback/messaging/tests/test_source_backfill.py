"""Upgrading: conversations made before source tags were kept get one (migration 0010), by what they hold."""

from datetime import timedelta
from importlib import import_module

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext

from textback.messaging.models import Conversation
from textback.testing import a_missed_call, a_staff_reply, an_inbound_text

backfill = import_module("textback.messaging.migrations.0010_fill_conversation_source")

pytestmark = pytest.mark.django_db


def sources() -> dict[int, str]:
    return dict(Conversation.objects.values_list("pk", "source"))


def untagged():
    Conversation.objects.update(source="")


def test_it_tags_missed_call_threads_texted_threads_and_staff_threads(alice, alpha_line):
    texted_back = a_missed_call(alpha_line, caller="+15125552001").messages.get().conversation
    texted_first = an_inbound_text(alpha_line, "Do you do drains?", caller="+15125552002").conversation
    ours_first = an_inbound_text(alpha_line, "Thanks", caller="+15125552003").conversation
    reply = a_staff_reply(ours_first, alice)
    ours_first.messages.filter(direction="in").update(created_at=reply.created_at + timedelta(minutes=5))
    untagged()

    backfill.fill(apps, None)

    assert sources() == {
        texted_back.pk: Conversation.MISSED_CALL,
        texted_first.pk: Conversation.INBOUND_SMS,
        ours_first.pk: Conversation.STAFF_STARTED,
    }


def test_a_caller_who_texts_after_calling_that_line_counts_as_a_missed_call(alpha_line):
    a_missed_call(alpha_line, caller="+15125552001")
    thread = an_inbound_text(alpha_line, "I called earlier", caller="+15125552001").conversation
    untagged()

    backfill.fill(apps, None)

    assert sources()[thread.pk] == Conversation.MISSED_CALL


def test_it_leaves_tags_already_set_alone_and_works_in_batches(monkeypatch, alpha_line):
    threads = [an_inbound_text(alpha_line, "Hi", caller=f"+1512555{2100 + n}").conversation for n in range(5)]
    Conversation.objects.filter(pk=threads[0].pk).update(source=Conversation.API)
    Conversation.objects.exclude(pk=threads[0].pk).update(source="")
    monkeypatch.setattr(backfill, "BATCH", 2)

    with CaptureQueriesContext(connection) as queries:
        backfill.fill(apps, None)

    assert sources() == {threads[0].pk: Conversation.API, **{t.pk: Conversation.INBOUND_SMS for t in threads[1:]}}
    updates = [q for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert len(updates) == 3 * 2  # four untagged threads, two batches of three statements
