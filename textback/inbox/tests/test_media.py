"""Voicemails and MMS files come through our own views, fetched from the provider with the account's
credentials (the local Twilio stand-in checks them), and only the kinds of file a page shows."""

import base64
import socket

import httpx
import pytest

from textback.calls.models import Call
from textback.lib import public_net
from textback.messaging.models import Message
from textback.providers import media as provider_media
from textback.providers import registry
from textback.providers.sandbox import carrier
from textback.providers.sandbox import media as sandbox_media
from textback.testing import ALPHA_SID, ALPHA_TOKEN, BETA_SID, a_missed_call, an_inbound_text

pytestmark = pytest.mark.django_db

JPEG = b"\xff\xd8\xff\xe0" + b"picture" * 100
WAV = b"RIFF" + b"\x00" * 40 + b"recording"
RECORDING = f"/2010-04-01/Accounts/{ALPHA_SID}/Recordings/RE0123456789abcdef0123456789abcdef"
PICTURE = f"/2010-04-01/Accounts/{ALPHA_SID}/Messages/MM01/Media/ME0123456789abcdef0123456789abcdef"


@pytest.fixture
def stub(twilio_api):
    twilio_api.add_account(ALPHA_SID, ALPHA_TOKEN)  # its files need alpha's Basic credentials
    return twilio_api


def with_media(line, *files) -> Message:
    return an_inbound_text(line, "the leak", media=[{"url": url, "content_type": kind} for url, kind in files])


def voicemail(line, url: str) -> Call:
    call = a_missed_call(line)
    Call.objects.filter(pk=call.pk).update(voicemail=True, voicemail_seconds=12, recording_url=url)
    return call


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_a_voicemail_is_fetched_with_the_accounts_credentials_and_played_from_our_origin(as_bob, stub, alpha_line):
    call = voicemail(alpha_line, stub.give_media(RECORDING, WAV, "audio/x-wav"))

    response = as_bob.get(f"/b/alpha/calls/{call.pk}/recording")

    assert response.status_code == 200 and body(response) == WAV
    assert response["Content-Type"] == "audio/x-wav"
    assert response["Cache-Control"] == "private, max-age=3600"
    assert "sandbox" in response["Content-Security-Policy"]
    [request] = stub.media_requests
    credentials = base64.b64encode(f"{ALPHA_SID}:{ALPHA_TOKEN}".encode()).decode()
    assert request.path == RECORDING and request.headers["Authorization"] == f"Basic {credentials}"


def test_an_mms_picture_is_passed_on(as_bob, stub, alpha_line):
    message = with_media(alpha_line, (stub.give_media(PICTURE, JPEG, "image/jpeg"), "image/jpeg"))

    response = as_bob.get(f"/b/alpha/media/{message.pk}/0")

    assert response.status_code == 200 and body(response) == JPEG
    assert response["Content-Type"] == "image/jpeg" and response["Content-Length"] == str(len(JPEG))


def test_a_file_number_the_message_does_not_have_is_not_found(as_bob, stub, alpha_line):
    message = with_media(alpha_line, (stub.give_media(PICTURE, JPEG, "image/jpeg"), "image/jpeg"))

    assert as_bob.get(f"/b/alpha/media/{message.pk}/1").status_code == 404
    assert as_bob.get(f"/b/alpha/calls/{a_missed_call(alpha_line).pk}/recording").status_code == 404
    assert stub.media_requests == []


def test_another_tenants_message_is_refused_before_anything_is_fetched(as_bob, stub, alpha_line, beta_line):
    path = f"/2010-04-01/Accounts/{BETA_SID}/Messages/MM02/Media/ME1"
    theirs = with_media(beta_line, (stub.give_media(path, JPEG, "image/jpeg"), "image/jpeg"))

    assert as_bob.get(f"/b/alpha/media/{theirs.pk}/0").status_code == 404
    assert as_bob.get(f"/b/beta/media/{theirs.pk}/0").status_code == 404
    assert stub.media_requests == []


@pytest.mark.parametrize(
    "url",
    [
        "http://api.twilio.com" + PICTURE,  # not https
        "https://evil.example" + PICTURE,  # not Twilio's
        "https://api.twilio.com.evil.example" + PICTURE,
        "https://127.0.0.1" + PICTURE,
        "file:///etc/passwd",
        "",
    ],
)
def test_a_url_that_is_not_an_https_address_of_the_provider_is_refused(as_bob, stub, alpha_line, url):
    message = with_media(alpha_line, ("x", "image/jpeg"))
    Message.objects.filter(pk=message.pk).update(media=[{"url": url, "content_type": "image/jpeg"}])

    response = as_bob.get(f"/b/alpha/media/{message.pk}/0")

    assert response.status_code == 403
    assert "only from Twilio's own https addresses" in response.content.decode()
    assert response["Cache-Control"] == "private, no-store"
    assert stub.media_requests == []


@pytest.mark.parametrize("kind", ["text/html", "image/svg+xml", "application/javascript", "", "image/"])
def test_a_file_of_a_kind_a_page_does_not_show_is_refused(as_bob, stub, alpha_line, kind):
    message = with_media(alpha_line, (stub.give_media(PICTURE, b"<script>alert(1)</script>", kind), "image/jpeg"))

    response = as_bob.get(f"/b/alpha/media/{message.pk}/0")

    assert response.status_code == 415
    assert b"<script>" not in response.content
    assert response["Content-Type"].startswith("text/plain")


def test_a_file_larger_than_the_cap_is_refused(as_bob, stub, alpha_line, monkeypatch):
    monkeypatch.setattr(provider_media, "MAX_BYTES", 100)
    message = with_media(alpha_line, (stub.give_media(PICTURE, JPEG, "image/jpeg"), "image/jpeg"))

    response = as_bob.get(f"/b/alpha/media/{message.pk}/0")

    assert response.status_code == 413


def test_a_file_the_provider_no_longer_has_is_explained(as_bob, stub, alpha_line):
    message = with_media(alpha_line, (stub.give_media(PICTURE, b"{}", "application/json", status=404), "image/jpeg"))

    response = as_bob.get(f"/b/alpha/media/{message.pk}/0")

    assert response.status_code == 502
    assert response.content.decode() == "Twilio answered 404 for this file (it may have been deleted there)."


def test_wrong_credentials_are_not_passed_on_as_a_file(as_bob, stub, alpha_line):
    stub.accounts[ALPHA_SID]["auth_token"] = "rotated"
    message = with_media(alpha_line, (stub.give_media(PICTURE, JPEG, "image/jpeg"), "image/jpeg"))

    response = as_bob.get(f"/b/alpha/media/{message.pk}/0")

    assert response.status_code == 502 and "Twilio answered 401" in response.content.decode()


def test_a_redirect_on_the_providers_api_is_followed(as_bob, stub, alpha_line):
    moved = PICTURE + "/moved"
    stub.give_media(moved, JPEG, "image/jpeg")
    message = with_media(alpha_line, (stub.redirect_media(PICTURE, moved), "image/jpeg"))

    response = as_bob.get(f"/b/alpha/media/{message.pk}/0")

    assert response.status_code == 200 and body(response) == JPEG


def test_a_redirect_to_a_plain_http_or_local_address_is_not_followed(as_bob, stub, alpha_line):
    message = with_media(alpha_line, (stub.redirect_media(PICTURE, "http://10.0.0.1/inside"), "image/jpeg"))

    response = as_bob.get(f"/b/alpha/media/{message.pk}/0")

    assert response.status_code == 502
    assert "sent the file on to an address textback does not fetch from" in response.content.decode()


class Listener:
    """A TCP port on this machine that notes whether anything connected to it."""

    def __init__(self):
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.setblocking(False)
        self.port = self.server.getsockname()[1]

    def connected(self) -> bool:
        try:
            self.server.accept()[0].close()
        except BlockingIOError:
            return False
        return True


@pytest.fixture
def listener():
    listening = Listener()
    yield listening
    listening.server.close()


def names_of_this_machine() -> list[str]:
    """Spellings of 127.0.0.1 that no check by name catches, and this machine's own name if it resolves locally."""
    names = ["2130706433", "0x7f.1"]  # decimal and hex: the resolver reads each as 127.0.0.1
    try:
        if not public_net.is_public(socket.gethostbyname(socket.gethostname())):
            names.append(socket.gethostname())
    except OSError:
        pass
    return names


@pytest.mark.parametrize("name", names_of_this_machine())
def test_a_redirect_to_a_name_that_resolves_to_this_machine_is_refused_before_connecting(
    as_bob, stub, alpha_line, listener, name
):
    target = f"https://{name}:{listener.port}/ME1.jpg"
    message = with_media(alpha_line, (stub.redirect_media(PICTURE, target), "image/jpeg"))

    response = as_bob.get(f"/b/alpha/media/{message.pk}/0")

    assert response.status_code == 502
    assert response.content.decode() == (
        f"textback does not fetch files from {name}: it resolves to 127.0.0.1, an address on this machine or a "
        "private network, not the public internet."
    )
    assert not listener.connected()


@pytest.mark.parametrize(
    "target, address",
    [
        ("https://169.254.169.254/latest/meta-data/iam/security-credentials/", "169.254.169.254"),
        ("https://10.0.0.1/inside", "10.0.0.1"),
        ("https://[::ffff:127.0.0.1]/inside", "::ffff:127.0.0.1"),
        ("https://[fd00::1]/inside", "fd00::1"),
        ("https://100.64.0.1/inside", "100.64.0.1"),
    ],
)
def test_a_redirect_to_a_private_address_is_refused_with_a_clear_message(as_bob, stub, alpha_line, target, address):
    message = with_media(alpha_line, (stub.redirect_media(PICTURE, target), "image/jpeg"))

    response = as_bob.get(f"/b/alpha/media/{message.pk}/0")

    assert response.status_code == 502
    assert f"it resolves to {address}, an address on this machine or a private network" in response.content.decode()


@pytest.fixture
def twilio_and_cdn(settings):
    """api.twilio.com and its media CDN behind a swapped transport (no network here): the API redirects each
    file to a signed CDN URL, as Twilio does. The requests each received, in order."""
    settings.TWILIO_API_URL = "https://api.twilio.com"
    received = []

    def answer(request: httpx.Request) -> httpx.Response:
        received.append(request)
        if request.url.host == "api.twilio.com":
            return httpx.Response(307, headers={"Location": f"{CDN}{request.url.path}?Expires=1&Signature=s"})
        return httpx.Response(200, headers={"Content-Type": "image/jpeg"}, content=JPEG)

    registry.use_transport(httpx.MockTransport(answer))
    yield received
    registry.use_transport(None)


CDN = "https://s3-external-1.amazonaws.com/media.twiliocdn.com"


def test_the_accounts_credentials_go_to_twilios_api_and_never_to_its_media_cdn(as_bob, alpha_line, twilio_and_cdn):
    message = with_media(alpha_line, ("https://api.twilio.com" + PICTURE, "image/jpeg"))

    response = as_bob.get(f"/b/alpha/media/{message.pk}/0")

    assert response.status_code == 200 and body(response) == JPEG
    api, cdn = twilio_and_cdn
    credentials = base64.b64encode(f"{ALPHA_SID}:{ALPHA_TOKEN}".encode()).decode()
    assert api.headers["Authorization"] == f"Basic {credentials}"
    assert cdn.url.host == "s3-external-1.amazonaws.com" and "Authorization" not in cdn.headers


def test_a_twilio_host_other_than_the_api_is_fetched_without_the_accounts_credentials(
    as_bob, alpha_line, twilio_and_cdn
):
    message = with_media(alpha_line, ("https://media.twilio.com" + PICTURE, "image/jpeg"))

    as_bob.get(f"/b/alpha/media/{message.pk}/0")

    [request] = twilio_and_cdn
    assert request.url.host == "media.twilio.com" and "Authorization" not in request.headers


def test_an_unreachable_provider_is_a_clear_answer_not_a_server_error(as_bob, alpha_line, settings):
    settings.TWILIO_API_URL = "http://127.0.0.1:9"
    message = with_media(alpha_line, ("https://api.twilio.com" + PICTURE, "image/jpeg"))

    response = as_bob.get(f"/b/alpha/media/{message.pk}/0")

    assert response.status_code == 502 and "could not be reached" in response.content.decode()


def test_a_sandbox_voicemail_plays_a_recording_of_its_length(as_bob, alpha_sandbox_line):
    call = carrier.place_call(carrier.SimulatedCall(alpha_sandbox_line, "+15125550147", carrier.NO_ANSWER, 3))
    assert call.recording_url == sandbox_media.recording_url(3)

    response = as_bob.get(f"/b/alpha/calls/{call.pk}/recording")

    data = body(response)
    assert response.status_code == 200 and response["Content-Type"] == "audio/wav"
    assert data[:4] == b"RIFF" and len(data) == 44 + 3 * sandbox_media.RATE


@pytest.mark.parametrize(
    "given, passed",
    [
        ("image/jpeg", "image/jpeg"),
        ("Audio/MPEG; charset=x", "audio/mpeg"),
        ("video/mp4", "video/mp4"),
        ("application/pdf", "application/pdf"),
        ("image/svg+xml", None),
        ("text/html", None),
        ("application/octet-stream", None),
        (None, None),
        ("audio", None),
    ],
)
def test_only_pictures_sound_video_and_pdf_are_passed_on(given, passed):
    assert provider_media.allowed_type(given) == passed


def test_a_sandbox_mms_picture_is_a_png(as_bob, alpha_sandbox_line):
    message = with_media(alpha_sandbox_line, (sandbox_media.picture_url(), "image/png"))

    response = as_bob.get(f"/b/alpha/media/{message.pk}/0")

    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert body(response).startswith(b"\x89PNG\r\n\x1a\n")


def test_a_sandbox_url_it_does_not_have_is_not_found(as_bob, alpha_sandbox_line):
    message = with_media(alpha_sandbox_line, (sandbox_media.BASE + "pictures/other.png", "image/png"))

    assert as_bob.get(f"/b/alpha/media/{message.pk}/0").status_code == 404


def a_picture_served_with(as_bob, alpha_line, settings, headers):
    """Staff open a picture whose server answers with these headers (and the picture)."""
    settings.TWILIO_API_URL = "https://api.twilio.com"
    registry.use_transport(httpx.MockTransport(lambda request: httpx.Response(200, headers=headers, content=JPEG)))
    try:
        message = with_media(alpha_line, ("https://api.twilio.com" + PICTURE, "image/jpeg"))
        return as_bob.get(f"/b/alpha/media/{message.pk}/0")
    finally:
        registry.use_transport(None)


@pytest.mark.parametrize("length", ["\u00b2", "\u0661\u0662", "-1"])
def test_a_file_whose_length_is_not_a_number_is_passed_on_without_one(as_bob, alpha_line, settings, length):
    headers = [(b"Content-Type", b"image/jpeg"), (b"Content-Length", length.encode("latin-1", "replace"))]

    response = a_picture_served_with(as_bob, alpha_line, settings, headers)

    assert response.status_code == 200 and body(response) == JPEG
    assert not response.has_header("Content-Length")


def test_a_file_declared_larger_than_any_number_is_refused_as_too_large(as_bob, alpha_line, settings):
    headers = {"Content-Type": "image/jpeg", "Content-Length": "9" * 40}

    assert a_picture_served_with(as_bob, alpha_line, settings, headers).status_code == 413
