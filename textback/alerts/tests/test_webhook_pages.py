"""The owner's alert-webhook settings page: list, add, edit, delete, send a test; validation; who may."""

import pytest
from django.test import Client

from textback.alerts.models import Alert, AlertWebhook
from textback.outbox.models import OutboxItem

pytestmark = pytest.mark.django_db

PAGE = "/b/alpha/settings/webhooks"
SLACK_URL = "https://hooks.slack.com/services/T000/B000/XXXX"


def form(**changes):
    return {"name": "Dispatch", "kind": "slack", "url": SLACK_URL, "on_reply": "on", "on_sla": "on",
            "active": "on", **changes}  # fmt: skip


@pytest.fixture
def beta_hook(beta, charlie):
    return AlertWebhook.objects.create(business=beta, name="Beta ops", url="https://beta.example/hook")


def test_an_owner_adds_a_webhook_and_sees_it_listed(as_alice, alpha):
    response = as_alice.post(PAGE, form(), follow=True)

    hook = AlertWebhook.objects.get()
    assert (hook.business, hook.name, hook.url, hook.on_reply, hook.on_missed_call, hook.on_sla) == (
        alpha, "Dispatch", SLACK_URL, True, False, True)  # fmt: skip
    assert b"Added the webhook Dispatch" in response.content
    assert SLACK_URL.encode() in response.content


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("ftp://example.com/hook", "must be a web address starting with https://"),
        ("javascript:alert(1)", "must be a web address starting with https://"),
        ("hooks.slack.com/services/T000", "must be a web address starting with https://"),
        ("https://", "not a complete web address"),
        ("https://exa mple.com/x", "not a complete web address"),
        ("https://example.com/" + "x" * 500, "at most 500 characters"),
    ],
)
def test_an_address_that_is_not_http_is_refused_with_a_clear_message(as_alice, url, says):
    response = as_alice.post(PAGE, form(url=url))

    assert response.status_code == 400
    assert says in response.content.decode()
    assert not AlertWebhook.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:5432/",
        "http://localhost/hook",
        "http://169.254.169.254/latest/meta-data/",  # the cloud metadata service
        "http://10.0.0.5/hook",
        "http://192.168.1.20:8080/",
        "http://100.64.0.1/",  # carrier-grade NAT
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/",
        "http://2130706433/",  # 127.0.0.1 as one number
        "http://0x7f000001/",
    ],
)
def test_an_address_on_a_private_network_is_refused_in_plain_words(as_alice, url):
    response = as_alice.post(PAGE, form(url=url))

    assert response.status_code == 400
    assert "textback does not post to private network addresses" in response.content.decode()
    assert not AlertWebhook.objects.exists()


def test_an_operator_may_allow_private_addresses_for_a_self_hosted_install(as_alice, settings):
    settings.ALLOW_PRIVATE_WEBHOOKS = True  # TEXTBACK_ALLOW_PRIVATE_WEBHOOKS=1

    as_alice.post(PAGE, form(url="http://192.168.1.20:8080/"))

    assert AlertWebhook.objects.get().url == "http://192.168.1.20:8080/"


@pytest.mark.parametrize("url", ["http://[::1/hook", "https://example.com:99999/", "https://example.com:port/"])
def test_a_broken_address_is_refused_not_a_server_error(as_alice, url):
    response = as_alice.post(PAGE, form(url=url))

    assert response.status_code == 400
    assert "not a complete web address" in response.content.decode()


def test_a_webhook_for_no_events_is_refused(as_alice):
    response = as_alice.post(PAGE, {"kind": "slack", "url": SLACK_URL, "active": "on"})

    assert response.status_code == 400
    assert b"Choose at least one thing to be alerted about." in response.content


def test_an_owner_edits_a_webhook_and_can_make_a_new_secret(as_alice, alpha):
    hook = AlertWebhook.objects.create(business=alpha, kind="generic", url="https://example.com/in")
    old = hook.secret

    as_alice.post(f"{PAGE}/{hook.pk}", form(kind="generic", url="https://example.com/v2", new_secret="on"))

    hook.refresh_from_db()
    assert (hook.url, hook.kind) == ("https://example.com/v2", "generic")
    assert hook.secret != old


def test_an_owner_deletes_a_webhook(as_alice, alpha):
    hook = AlertWebhook.objects.create(business=alpha, url=SLACK_URL)

    as_alice.post(f"{PAGE}/{hook.pk}/delete")

    assert not AlertWebhook.objects.exists()


def test_send_a_test_queues_a_recorded_test_alert_even_when_paused(as_alice, alpha):
    hook = AlertWebhook.objects.create(business=alpha, url=SLACK_URL, active=False)

    response = as_alice.post(f"{PAGE}/{hook.pk}/test", follow=True)

    alert = Alert.objects.get()
    assert (alert.event, alert.webhook, alert.status) == (Alert.TEST, hook, Alert.QUEUED)
    assert alert.payload == {"text": "Test alert from textback for AlphaPlumbing: alerts reach this webhook."}
    assert OutboxItem.objects.get().kind == "alert_webhook"
    assert b"A test alert is on its way" in response.content
    assert b"Recent deliveries" in response.content and b"Queued" in response.content


def test_a_test_message_reads_right_for_a_webhook(alpha):
    from textback.alerts.actions import do_send_test

    alert = do_send_test(AlertWebhook.objects.create(business=alpha, url=SLACK_URL))
    assert "phone" not in alert.payload["text"]


def test_the_signing_secret_is_shown_to_the_owner_for_signed_json(as_alice, alpha):
    hook = AlertWebhook.objects.create(business=alpha, kind="generic", url="https://example.com/in")

    assert hook.secret.encode() in as_alice.get(PAGE).content


def test_a_webhook_name_is_escaped(as_alice, alpha):
    as_alice.post(PAGE, form(name="<script>x()</script>"))

    content = as_alice.get(PAGE).content
    assert b"<script>x()" not in content and b"&lt;script&gt;x()" in content


@pytest.mark.parametrize("who", ["mary", "bob"])
def test_only_owners_manage_webhooks(client, alpha, who, request):
    hook = AlertWebhook.objects.create(business=alpha, url=SLACK_URL)
    client.force_login(request.getfixturevalue(who))

    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, form(url="https://evil.example/")).status_code == 403
    assert client.post(f"{PAGE}/{hook.pk}/delete").status_code == 403
    assert AlertWebhook.objects.get().url == SLACK_URL


def test_the_forms_need_the_csrf_token(alice, alpha):
    hook = AlertWebhook.objects.create(business=alpha, url=SLACK_URL)
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)

    for url, data in [(PAGE, form()), (f"{PAGE}/{hook.pk}", form(url="https://x.example/")),
                      (f"{PAGE}/{hook.pk}/delete", {}), (f"{PAGE}/{hook.pk}/test", {})]:  # fmt: skip
        assert client.post(url, data).status_code == 403
    assert list(AlertWebhook.objects.values_list("url", flat=True)) == [SLACK_URL]
    assert not Alert.objects.exists()


def test_delete_and_test_take_only_post(as_alice, alpha):
    hook = AlertWebhook.objects.create(business=alpha, url=SLACK_URL)

    assert as_alice.get(f"{PAGE}/{hook.pk}/delete").status_code == 405
    assert as_alice.get(f"{PAGE}/{hook.pk}/test").status_code == 405


# --- another business's webhooks are 404 -------------------------------------------------------


def beta_unchanged(hook):
    hook.refresh_from_db()
    return hook.url == "https://beta.example/hook" and not Alert.objects.exists()


@pytest.mark.cross_tenant("alert-webhooks")
def test_another_business_webhook_list_is_not_found(as_alice, beta_hook):
    assert as_alice.get("/b/beta/settings/webhooks").status_code == 404
    assert as_alice.post("/b/beta/settings/webhooks", form(url="https://evil.example/")).status_code == 404
    assert AlertWebhook.objects.count() == 1 and beta_unchanged(beta_hook)


@pytest.mark.cross_tenant("alert-webhook")
def test_another_business_webhook_cannot_be_seen_or_edited(as_alice, beta_hook):
    for slug in ("beta", "alpha"):  # through beta's page, and through alice's own business with beta's id
        url = f"/b/{slug}/settings/webhooks/{beta_hook.pk}"
        assert as_alice.get(url).status_code == 404
        assert as_alice.post(url, form(url="https://evil.example/")).status_code == 404
    assert beta_unchanged(beta_hook)


@pytest.mark.cross_tenant("alert-webhook-delete")
def test_another_business_webhook_cannot_be_deleted(as_alice, beta_hook):
    for slug in ("beta", "alpha"):
        assert as_alice.post(f"/b/{slug}/settings/webhooks/{beta_hook.pk}/delete").status_code == 404
    assert beta_unchanged(beta_hook)


@pytest.mark.cross_tenant("alert-webhook-test")
def test_another_business_webhook_cannot_be_sent_a_test(as_alice, beta_hook):
    for slug in ("beta", "alpha"):
        assert as_alice.post(f"/b/{slug}/settings/webhooks/{beta_hook.pk}/test").status_code == 404
    assert beta_unchanged(beta_hook)
