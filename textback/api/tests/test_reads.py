import pytest

from textback.calls.models import Call
from textback.messaging.models import Contact, Conversation
from textback.testing import a_missed_call, a_staff_reply, an_inbound_text


@pytest.fixture
def history(alpha_line, beta_line, alice):
    """Alpha: a missed call the caller answered by text and staff replied to. Beta: its own missed call."""
    call = a_missed_call(alpha_line)
    an_inbound_text(alpha_line, "Can you come today?")
    conversation = Conversation.objects.get(business=alpha_line.business)
    a_staff_reply(conversation, alice, "Yes, at 2.")
    beta_call = a_missed_call(beta_line, caller="+12145550147")
    return {"call": call, "conversation": conversation, "beta_call": beta_call}


def test_it_lists_and_shows_the_business_calls(api, alpha_read, history):
    listed = api.get("/calls", alpha_read).json()
    assert [c["id"] for c in listed["items"]] == [history["call"].pk]
    shown = api.get(f"/calls/{history['call'].pk}", alpha_read).json()
    assert shown["outcome"] == "no_answer"
    assert shown["line_number"] == "+15125550100"
    assert "recording_url" not in shown


def test_it_filters_calls_by_outcome_line_and_local_dates(api, alpha_read, history, alpha_line):
    day = history["call"].started_at.astimezone(__import__("zoneinfo").ZoneInfo("America/Chicago")).date()
    pk = history["call"].pk
    assert [c["id"] for c in api.get("/calls", alpha_read, outcome="no_answer").json()["items"]] == [pk]
    assert api.get("/calls", alpha_read, outcome="busy").json()["items"] == []
    assert [c["id"] for c in api.get("/calls", alpha_read, line=alpha_line.pk).json()["items"]] == [pk]
    assert len(api.get("/calls", alpha_read, **{"from": day.isoformat(), "to": day.isoformat()}).json()["items"]) == 1
    later = day.replace(year=day.year + 1).isoformat()
    assert api.get("/calls", alpha_read, **{"from": later}).json()["items"] == []


@pytest.mark.cross_tenant
def test_a_beta_token_never_sees_alpha_rows(api, beta_write, history):
    call, conversation = history["call"], history["conversation"]
    assert [c["id"] for c in api.get("/calls", beta_write).json()["items"]] == [history["beta_call"].pk]
    assert all(c["id"] != conversation.pk for c in api.get("/conversations", beta_write).json()["items"])
    assert all(c["id"] != conversation.contact_id for c in api.get("/contacts", beta_write).json()["items"])
    for path in (f"/calls/{call.pk}", f"/conversations/{conversation.pk}", f"/contacts/{conversation.contact_id}"):
        response = api.get(path, beta_write)
        assert response.status_code == 404, path
        assert "There is no" in response.json()["detail"]
    assert api.get("/calls", beta_write, line=call.line_id).status_code == 404
    assert api.get("/metrics", beta_write, line=call.line_id).status_code == 404


def test_it_shows_a_conversation_with_its_messages(api, alpha_read, history):
    conversation = history["conversation"]
    shown = api.get(f"/conversations/{conversation.pk}", alpha_read).json()
    assert shown["source"] == "missed_call"
    assert shown["contact"]["number"] == "+15125550147"
    bodies = [(m["direction"], m["sender_kind"], m["purpose"]) for m in shown["messages"]]
    assert bodies[-2:] == [("in", "contact", "inbound"), ("out", "staff", "reply")]
    assert "Yes, at 2." in shown["messages"][-1]["body"]
    assert shown["messages"][-1]["segments"] == 1
    assert shown["more_messages"] is False


def test_it_filters_conversations(api, alpha_read, history):
    pk = history["conversation"].pk
    ids = lambda **f: [c["id"] for c in api.get("/conversations", alpha_read, **f).json()["items"]]  # noqa: E731
    assert ids(status="open") == [pk]
    assert ids(status="closed") == []
    assert ids(source="missed_call") == [pk]
    assert ids(source="inbound_sms") == []
    assert ids(outcome="none") == [pk]
    assert ids(outcome="booked") == []


def test_it_walks_every_page_without_duplicates_or_gaps(api, alpha_read, alpha):
    made = [Contact.objects.create(business=alpha, number=f"+1512555{n:04d}").pk for n in range(23)]
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 5, **({"cursor": cursor} if cursor else {})}
        body = api.get("/contacts", alpha_read, **params).json()
        seen += [c["id"] for c in body["items"]]
        pages += 1
        if pages == 2:  # a row written meanwhile does not shift the pages still to come
            Contact.objects.create(business=alpha, number="+15125559999")
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 5
    assert seen == sorted(made, reverse=True)


@pytest.mark.parametrize("cursor", ["nonsense", "aWQ6eA", "%%%", "aWQ6MTIzNDU2Nzg5MDEyMzQ1Njc4OTA"])
def test_it_refuses_a_bad_cursor(api, alpha_read, cursor):
    response = api.get("/contacts", alpha_read, cursor=cursor)
    assert response.status_code == 400
    assert response.json()["detail"].startswith("cursor:")


@pytest.mark.parametrize(
    "params, field",
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "201"}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"outcome": "x"}, "outcome"),
    ],
)
def test_it_says_which_parameter_is_wrong(api, alpha_read, params, field):
    response = api.get("/calls", alpha_read, **params)
    assert response.status_code == 422
    assert response.json()["detail"].startswith(f"{field}:")
    assert response.json()["errors"][0]["field"] == field


@pytest.mark.parametrize("params", [{"from": "yesterday"}, {"from": "2026-12-02", "to": "2026-12-01"}])
def test_it_refuses_bad_dates(api, alpha_read, params):
    response = api.get("/calls", alpha_read, **params)
    assert response.status_code == 400
    assert "detail" in response.json()


@pytest.mark.parametrize("params, field", [({"to": "9999-12-31"}, "to"), ({"from": "0001-01-01"}, "from")])
def test_it_answers_a_date_off_the_reports_calendar_with_a_json_400_naming_it(api, alpha_read, params, field):
    response = api.get("/calls", alpha_read, **params)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"].startswith(f"{field}: ")


def test_it_answers_unknown_paths_methods_and_huge_ids_as_json(api, alpha_read):
    missing = api.get("/nothing-here", alpha_read)
    assert (missing.status_code, missing["Content-Type"]) == (404, "application/json")
    assert api.get("/calls/99999999999999999999999", alpha_read).status_code == 404
    not_allowed = api.post("/calls", alpha_read, {})
    assert not_allowed.status_code == 405
    assert "GET" in not_allowed.json()["detail"]


def test_a_call_list_costs_a_fixed_number_of_queries(api, alpha_read, alpha_line, django_assert_max_num_queries):
    for n in range(5):
        a_missed_call(alpha_line, caller=f"+1512555{n:04d}")
    # the token (1), its count in one transaction (savepoint, 2 updates at a window's start, read, release), the page
    with django_assert_max_num_queries(7):
        assert len(api.get("/calls", alpha_read).json()["items"]) == 5
    assert Call.objects.count() == 5
