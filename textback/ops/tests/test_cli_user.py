"""`textback user …`: staff who sign in to a business's inbox, and their roles."""

import re

from django.contrib.auth import get_user_model
from django.utils import timezone

from textback.accounts import two_factor
from textback.accounts.models import Membership, TwoFactor

User = get_user_model()
PASSWORD = "correct horse battery staple"


def test_it_makes_the_first_member_an_owner_and_prints_a_generated_password_once(textback, acme):
    result = textback(
        "user", "add", "--business", "acme", "--email", "Mike@AlphaPlumbing.example", "--name", "Mike Rivera"
    )
    assert result.code == 0
    password = re.search(r"shown only this once\): (\S+)", result.out).group(1)
    user = User.objects.get()
    assert (user.username, user.email, user.get_full_name()) == ("mike@alphaplumbing.example",) * 2 + ("Mike Rivera",)
    assert user.check_password(password)
    assert Membership.objects.get(user=user, business=acme).role == Membership.OWNER
    assert "as owner" in result.out


def test_it_makes_later_members_agents_unless_told_otherwise(textback, acme):
    textback("user", "add", "--business", "acme", "--email", "mike@acme.example")
    textback("user", "add", "--business", "acme", "--email", "ann@acme.example")
    textback("user", "add", "--business", "acme", "--email", "sam@acme.example", "--role", "manager")
    roles = dict(Membership.objects.values_list("user__username", "role"))
    assert roles == {"mike@acme.example": "owner", "ann@acme.example": "agent", "sam@acme.example": "manager"}


def test_it_reads_the_password_from_a_file_and_never_prints_it(textback, acme, tmp_path):
    path = tmp_path / "password"
    path.write_text(PASSWORD + "\n")
    result = textback("user", "add", "--business", "acme", "--email", "mike@acme.example", "--password-file", str(path))
    assert result.code == 0
    assert User.objects.get().check_password(PASSWORD)
    assert PASSWORD not in result.output
    assert "Password" not in result.out


def test_it_reads_the_password_from_standard_input(textback, acme):
    textback(
        "user", "add", "--business", "acme", "--email", "mike@acme.example", "--password-stdin", stdin=PASSWORD + "\n"
    )
    assert User.objects.get().check_password(PASSWORD)


def test_it_refuses_a_weak_password_and_creates_no_one(textback, acme):
    result = textback(
        "user", "add", "--business", "acme", "--email", "mike@acme.example", "--password-stdin", stdin="12345"
    )
    assert result.code == 2
    assert "the password is not accepted: This password is too short" in result.err
    assert not User.objects.exists()
    assert not Membership.objects.exists()


def test_it_refuses_something_that_is_not_an_email_address(textback, acme):
    result = textback("user", "add", "--business", "acme", "--email", "mike")
    assert result.code == 2
    assert "--email: 'mike' is not an e-mail address" in result.err


def test_it_adds_an_existing_user_to_another_business_keeping_their_password(textback, acme, bolt):
    textback("user", "add", "--business", "acme", "--email", "mike@acme.example", "--password-stdin", stdin=PASSWORD)
    result = textback(
        "user",
        "add",
        "--business",
        "bolt",
        "--email",
        "MIKE@acme.example",
        "--password-stdin",
        stdin="other password 2",
    )
    assert result.code == 0
    user = User.objects.get()
    assert user.check_password(PASSWORD)
    assert "password is unchanged" in result.err
    assert set(user.memberships.values_list("business__slug", "role")) == {("acme", "owner"), ("bolt", "owner")}


def test_it_changes_the_role_of_an_existing_member(textback, acme):
    textback("user", "add", "--business", "acme", "--email", "mike@acme.example")
    textback("user", "add", "--business", "acme", "--email", "ann@acme.example")
    result = textback("user", "add", "--business", "acme", "--email", "ann@acme.example", "--role", "manager")
    assert "ann@acme.example is now manager at acme" in result.out
    assert Membership.objects.get(user__username="ann@acme.example").role == Membership.MANAGER


def test_it_lists_a_business_s_members_only(textback, acme, bolt):
    textback("user", "add", "--business", "acme", "--email", "mike@acme.example", "--name", "Mike Rivera")
    textback("user", "add", "--business", "bolt", "--email", "bo@bolt.example")
    rows = [row.split() for row in textback("user", "list", "--business", "acme").out.splitlines()]
    assert rows == [
        ["EMAIL", "NAME", "ROLE", "ACTIVE", "LAST", "LOGIN"],
        ["mike@acme.example", "Mike", "Rivera", "owner", "yes", "never"],
    ]


def test_it_removes_a_member_but_keeps_the_user(textback, acme, bolt):
    textback("user", "add", "--business", "acme", "--email", "mike@acme.example")
    textback("user", "add", "--business", "acme", "--email", "ann@acme.example")
    assert textback("user", "remove", "--business", "acme", "--email", "ann@acme.example").code == 0
    assert User.objects.filter(username="ann@acme.example").exists()
    assert not Membership.objects.filter(user__username="ann@acme.example").exists()


def test_it_will_not_remove_a_business_s_only_owner(textback, acme):
    textback("user", "add", "--business", "acme", "--email", "mike@acme.example")
    result = textback("user", "remove", "--business", "acme", "--email", "mike@acme.example")
    assert result.code == 2
    assert "the only owner of acme; add another owner first" in result.err
    assert Membership.objects.exists()


def test_two_factor_off_lets_a_person_who_lost_their_phone_sign_in_with_the_password_again(textback, acme):
    textback("user", "add", "--business", "acme", "--email", "mike@acme.example")
    mike = User.objects.get()
    two_factor.do_begin(mike)
    TwoFactor.objects.filter(user=mike).update(confirmed_at=timezone.now())

    result = textback("user", "two-factor-off", "--email", "Mike@Acme.example")

    assert result.code == 0
    assert result.out.startswith("Two-factor sign-in is off for mike@acme.example")
    assert not two_factor.is_on(mike)
    again = textback("user", "two-factor-off", "--email", "mike@acme.example")
    assert again.out.strip() == "mike@acme.example has no two-factor sign-in; nothing changed."


def test_two_factor_off_names_an_address_nobody_signs_in_with(textback, acme):
    result = textback("user", "two-factor-off", "--email", "nobody@acme.example")
    assert result.code == 2 and "there is no user nobody@acme.example" in result.err


# --- a member's phone --------------------------------------------------------------------------------


def test_an_operator_sets_a_members_phone_and_vouches_for_it(textback, acme):
    textback("user", "add", "--business", "acme", "--email", "mike@acme.example")

    result = textback(
        "user", "phone", "--business", "acme", "--email", "Mike@acme.example", "--phone", "(512) 555-0177"
    )
    assert result.out.strip() == (
        "mike@acme.example at acme: (512) 555-0177, not verified: they ask for a code on My settings and type it "
        "back (or run this again with --verified)."
    )
    assert not Membership.objects.get().phone_is_verified
    result = textback("user", "phone", "--business", "acme", "--email", "mike@acme.example", "--verified")

    assert result.code == 0 and "(512) 555-0177, verified." in result.out
    mike = Membership.objects.get()
    assert (mike.phone, mike.phone_is_verified) == ("+15125550177", True)
    textback("user", "phone", "--business", "acme", "--email", "mike@acme.example", "--clear")
    assert Membership.objects.get().phone == ""


def test_it_refuses_a_phone_that_is_a_customers_or_a_colleagues(textback, acme, sandbox_account):
    from textback.providers.models import Line
    from textback.testing import an_inbound_text

    textback("user", "add", "--business", "acme", "--email", "mike@acme.example")
    textback("user", "add", "--business", "acme", "--email", "ann@acme.example")
    textback("user", "phone", "--business", "acme", "--email", "ann@acme.example", "--phone", "+15125550177")
    an_inbound_text(Line.objects.create(business=acme, account=sandbox_account, number="+17375550100"), "hi")

    for number, why in (("+15125550147", "is a customer's number"), ("+15125550177", "is already")):
        result = textback("user", "phone", "--business", "acme", "--email", "mike@acme.example", "--phone", number,
                          "--verified")  # fmt: skip
        assert result.code == 2 and f"--phone: (512) 555-01{number[-2:]} {why}" in result.err
    assert Membership.objects.get(user__username="mike@acme.example").phone == ""
