"""Optional two-factor sign-in: set up with a code, then logging in asks for one; recovery codes; turning it off."""

import io
import re
import time
from datetime import timedelta

import pyotp
import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from textback.accounts import throttle, two_factor
from textback.accounts.models import LoginThrottle, RecoveryCode, TwoFactor

pytestmark = pytest.mark.django_db
PASSWORD = "pw-alice-123"


def secret_on_page(client) -> str:
    page = client.get(reverse("account:home")).content.decode()
    return re.search(r'<p class="secret"><code>([A-Z2-7 ]+)</code>', page).group(1).replace(" ", "")


def turn_on(client, user) -> tuple[str, list[str]]:
    """Set two-factor up from the account page as a person does; the secret and the recovery codes."""
    client.force_login(user)
    client.post(reverse("account:two-factor-start"))
    secret = secret_on_page(client)
    page = client.post(reverse("account:two-factor-confirm"), {"code": pyotp.TOTP(secret).now()})
    assert page.status_code == 200 and "Two-factor sign-in is on" in page.content.decode()
    codes = re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", page.content.decode())
    client.logout()
    return secret, codes


def next_code(secret: str) -> str:
    """The code the app shows in the next 30 seconds (accepted now, as a clock a little ahead); the current one
    was used up confirming the set-up, and a code is never accepted twice."""
    return pyotp.TOTP(secret).at(time.time() + two_factor.STEP)


def log_in(client, username="alice@alpha.example", password=PASSWORD):
    return client.post(reverse("login"), {"username": username, "password": password})


def signed_in(client) -> bool:
    return client.get(reverse("account:home")).status_code == 200  # not a redirect to the login page


def test_setting_up_shows_the_secret_and_an_otpauth_uri_and_needs_a_right_code(client, alice):
    client.force_login(alice)
    client.post(reverse("account:two-factor-start"))
    page = client.get(reverse("account:home")).content.decode()
    secret = secret_on_page(client)
    assert f"otpauth://totp/textback:alice%40alpha.example?secret={secret}" in page
    wrong = client.post(reverse("account:two-factor-confirm"), {"code": "000000"}, follow=True)
    assert "That code is not right" in wrong.content.decode()
    assert not two_factor.is_on(alice)
    client.post(reverse("account:two-factor-confirm"), {"code": pyotp.TOTP(secret).now()})
    assert two_factor.is_on(alice)


def test_the_secret_is_encrypted_at_rest(client, alice):
    secret, _ = turn_on(client, alice)
    stored = TwoFactor.objects.get(user=alice).secret_encrypted
    assert secret not in stored and stored.startswith("gAAAA")  # a Fernet token


def test_logging_in_asks_for_the_code_after_the_password(client, alice):
    secret, _ = turn_on(client, alice)
    response = log_in(client)
    assert response.status_code == 302 and response.url == reverse("account:login-code")
    assert not signed_in(client)  # the password alone does not sign in
    wrong = client.post(reverse("account:login-code"), {"code": "123456"})
    assert wrong.status_code == 400 and "not right" in wrong.content.decode()
    assert not signed_in(client)
    right = client.post(reverse("account:login-code"), {"code": next_code(secret)})
    assert right.status_code == 302
    assert signed_in(client)


@pytest.mark.parametrize("code", ["\u00b2" * 6, "\u0661" * 6, "12\x003456"])
def test_a_code_of_other_digits_is_not_right_rather_than_an_error(client, alice, code):
    client.force_login(alice)
    client.post(reverse("account:two-factor-start"))
    wrong = client.post(reverse("account:two-factor-confirm"), {"code": code}, follow=True)
    assert "That code is not right" in wrong.content.decode()
    turn_on(client, alice)
    log_in(client)
    wrong = client.post(reverse("account:login-code"), {"code": code})
    assert wrong.status_code == 400 and not signed_in(client)


def test_a_code_cannot_be_used_twice(client, alice):
    secret, _ = turn_on(client, alice)
    code = next_code(secret)
    log_in(client)
    client.post(reverse("account:login-code"), {"code": code})
    other = Client()
    log_in(other)
    assert other.post(reverse("account:login-code"), {"code": code}).status_code == 400


def test_the_code_step_goes_back_to_the_right_next_page(client, alice):
    secret, _ = turn_on(client, alice)
    client.post(reverse("login"), {"username": "alice@alpha.example", "password": PASSWORD, "next": "/account"})
    response = client.post(reverse("account:login-code"), {"code": next_code(secret)})
    assert response.url == "/account"


def test_the_code_step_expires(client, alice):
    import time_machine

    secret, _ = turn_on(client, alice)
    log_in(client)
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        response = client.post(reverse("account:login-code"), {"code": next_code(secret)})
    assert response.status_code == 302 and response.url == reverse("login")
    assert not signed_in(client)


def test_a_recovery_code_signs_in_once(client, alice):
    _, codes = turn_on(client, alice)
    assert len(codes) == 10
    log_in(client)
    assert client.post(reverse("account:login-code"), {"code": codes[0].upper()}).status_code == 302
    client.logout()
    log_in(client)
    assert client.post(reverse("account:login-code"), {"code": codes[0]}).status_code == 400
    assert two_factor.recovery_codes_left(alice) == 9
    assert codes[1] not in "".join(RecoveryCode.objects.values_list("code_hash", flat=True))  # only hashes kept


def test_wrong_codes_count_in_the_login_throttle(client, alice):
    """A known password does not buy endless guesses: the account locks after ten failures, password or code."""
    secret, _ = turn_on(client, alice)
    log_in(client)
    for _ in range(throttle.ACCOUNT_LIMIT - 1):
        assert client.post(reverse("account:login-code"), {"code": "000000"}).status_code == 400
    locked = client.post(reverse("account:login-code"), {"code": next_code(secret)})
    assert locked.status_code == 429 and "locked" in locked.content.decode()
    assert not signed_in(client)
    log_in(client)  # the password again does not clear the count
    assert client.post(reverse("account:login-code"), {"code": next_code(secret)}).status_code == 429


def test_a_right_code_clears_the_count(client, alice):
    secret, _ = turn_on(client, alice)
    log_in(client)
    client.post(reverse("account:login-code"), {"code": "000000"})
    client.post(reverse("account:login-code"), {"code": next_code(secret)})
    assert LoginThrottle.objects.get(key=throttle.account_key("alice@alpha.example")).count == 0


def test_turning_it_off_needs_a_code(client, alice):
    secret, codes = turn_on(client, alice)
    client.force_login(alice)
    refused = client.post(reverse("account:two-factor-off"), {"code": "000000"}, follow=True)
    assert "still on" in refused.content.decode() and two_factor.is_on(alice)
    client.post(reverse("account:two-factor-off"), {"code": codes[3]})
    assert not two_factor.is_on(alice) and not RecoveryCode.objects.filter(user=alice).exists()
    client.logout()
    assert log_in(client).url == reverse("home")  # the password alone signs in again


def test_new_recovery_codes_replace_the_old(client, alice):
    secret, old = turn_on(client, alice)
    client.force_login(alice)
    page = client.post(reverse("account:recovery-codes"), {"code": old[0]})
    new = re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", page.content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    assert page["Cache-Control"] == "no-store"
    client.logout()
    log_in(client)
    assert client.post(reverse("account:login-code"), {"code": old[1]}).status_code == 400


def test_a_person_without_two_factor_logs_in_with_the_password(client, alice):
    assert log_in(client).url == reverse("home")


# --- the encryption key changes -------------------------------------------------------------------------


def test_rotating_the_key_and_removing_the_old_one_still_lets_a_person_with_two_factor_sign_in(client, alice, settings):
    old, new = Fernet.generate_key(), Fernet.generate_key()
    settings.ENCRYPTION_KEYS = [old]
    secret, _ = turn_on(client, alice)
    settings.ENCRYPTION_KEYS = [new, old]  # step 1 of the README: the new key first, the old one after it

    call_command("account", "reencrypt", stdout=io.StringIO())  # step 2
    settings.ENCRYPTION_KEYS = [new]  # step 3: the old key is gone

    log_in(client)
    assert client.post(reverse("account:login-code"), {"code": next_code(secret)}).status_code == 302
    assert signed_in(client)


@pytest.fixture
def lost_key(client, alice, settings):
    """alice has two-factor on, but TEXTBACK_ENCRYPTION_KEY changed with the old key left out: her recovery codes."""
    settings.ENCRYPTION_KEYS = [Fernet.generate_key()]
    secret, codes = turn_on(client, alice)
    settings.ENCRYPTION_KEYS = [Fernet.generate_key()]
    return secret, codes


def test_a_person_whose_authenticator_secret_no_key_opens_is_told_to_use_a_recovery_code(client, lost_key, caplog):
    secret, codes = lost_key
    log_in(client)

    page = client.get(reverse("account:login-code")).content.decode()
    assert "Codes from your authenticator app cannot be checked right now" in page
    assert "ask an owner of your business" in page
    assert "two-factor secret of alice@alpha.example (user" in caplog.text  # the operator learns which and why

    refused = client.post(reverse("account:login-code"), {"code": next_code(secret)})
    assert refused.status_code == 400
    assert "That is not one of your unused recovery codes" in refused.content.decode()
    assert not signed_in(client)

    assert client.post(reverse("account:login-code"), {"code": codes[0]}).status_code == 302
    assert signed_in(client)


def test_with_an_unreadable_authenticator_secret_a_recovery_code_turns_two_factor_off_to_set_it_up_again(
    client, alice, lost_key
):
    _, codes = lost_key
    client.force_login(alice)
    page = client.get(reverse("account:home")).content.decode()
    assert "only recovery codes sign you in" in page

    client.post(reverse("account:two-factor-off"), {"code": codes[1]})

    assert not two_factor.is_on(alice)
    client.post(reverse("account:two-factor-start"))
    assert len(secret_on_page(client)) == 32  # a new secret, under the key in use now


def test_a_set_up_left_unfinished_under_a_lost_key_starts_again(client, alice, settings):
    settings.ENCRYPTION_KEYS = [Fernet.generate_key()]
    client.force_login(alice)
    client.post(reverse("account:two-factor-start"))
    settings.ENCRYPTION_KEYS = [Fernet.generate_key()]

    page = client.get(reverse("account:home"))

    assert page.status_code == 200 and "Set up two-factor sign-in" in page.content.decode()
