"""Businesses: the settings an owner types are validated, and users reach only their own businesses."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError

from textback.accounts.models import (
    Business,
    Membership,
    businesses_for,
    validate_countries,
    validate_outcomes,
    validate_time_zone,
)
from textback.calls import outcomes


@pytest.mark.parametrize("value", ["America/Chicago", "America/New_York", "Europe/London", "UTC", "Pacific/Honolulu"])
def test_a_real_time_zone_is_accepted(value):
    validate_time_zone(value)


@pytest.mark.parametrize("value", ["", "Central", "CST6", "America/Springfield", "america/chicago", "+05:00"])
def test_a_time_zone_that_is_not_a_zone_name_is_refused_with_an_example(value):
    with pytest.raises(ValidationError, match="America/Chicago"):
        validate_time_zone(value)


@pytest.mark.parametrize("value", ["US", "US,CA", "US, CA", "us,ca", "GB"])
def test_two_letter_country_codes_are_accepted(value):
    validate_countries(value)


@pytest.mark.parametrize("value", ["", "USA", "US,CAN", "U1", "US;CA", "1,2"])
def test_anything_but_two_letter_country_codes_is_refused(value):
    with pytest.raises(ValidationError, match="two-letter country code"):
        validate_countries(value)


@pytest.mark.parametrize("value", ["no_answer", "no_answer,voicemail", " busy , failed ", ",".join(outcomes.OUTCOMES)])
def test_known_outcomes_are_accepted(value):
    validate_outcomes(value)


@pytest.mark.parametrize("value", ["missed", "no_answer,bogus", "no-answer", "NO_ANSWER", "voicemail,ringing"])
def test_an_unknown_outcome_is_refused_naming_the_valid_ones(value):
    with pytest.raises(ValidationError, match="is not a call outcome; use one of answered, no_answer"):
        validate_outcomes(value)


@pytest.mark.django_db
def test_a_new_business_texts_every_missed_outcome_in_the_us_and_canada():
    business = Business.objects.create(name="GammaLocks", slug="gamma")

    assert business.outcome_set == outcomes.MISSED
    assert business.country_set == frozenset({"US", "CA"})
    assert (business.time_zone, business.cooldown_hours, business.staleness_minutes) == ("America/Chicago", 24, 15)
    business.full_clean()


@pytest.mark.django_db
def test_each_business_gets_its_own_unguessable_signing_secret(alpha, beta):
    assert alpha.signing_secret != beta.signing_secret
    assert len(alpha.signing_secret) >= 32


def test_the_country_and_outcome_sets_ignore_spaces_case_and_blanks():
    business = Business(allowed_countries=" us, ca ,", textback_outcomes="no_answer, voicemail,")

    assert business.country_set == frozenset({"US", "CA"})
    assert business.outcome_set == frozenset({"no_answer", "voicemail"})


@pytest.mark.django_db
@pytest.mark.parametrize(
    "field, value",
    [("time_zone", "Mars/Olympus"), ("allowed_countries", "USA"), ("textback_outcomes", "no_answer,maybe")],
)
def test_saving_a_business_through_validation_refuses_bad_settings(alpha, field, value):
    setattr(alpha, field, value)

    with pytest.raises(ValidationError) as caught:
        alpha.full_clean()

    assert field in caught.value.message_dict


@pytest.mark.django_db
def test_a_user_sees_only_the_businesses_they_belong_to(alice, charlie, alpha, beta):
    assert list(businesses_for(alice)) == [alpha]
    assert list(businesses_for(charlie)) == [beta]


@pytest.mark.django_db
def test_an_agent_sees_the_business_too(bob, alpha):
    assert list(businesses_for(bob)) == [alpha]


@pytest.mark.django_db
def test_a_user_of_two_businesses_sees_both_once(alice, alpha, beta):
    Membership.objects.create(user=alice, business=beta, role=Membership.MANAGER)

    assert sorted(b.slug for b in businesses_for(alice)) == ["alpha", "beta"]
    assert businesses_for(alice).count() == 2


@pytest.mark.django_db
def test_a_user_without_a_membership_sees_nothing(django_user_model, alpha):
    nobody = django_user_model.objects.create_user("nobody", "nobody@example.com", "pw-nobody-123")

    assert list(businesses_for(nobody)) == []


@pytest.mark.django_db
def test_an_anonymous_visitor_sees_nothing(alpha):
    assert list(businesses_for(AnonymousUser())) == []


@pytest.mark.django_db
def test_losing_a_membership_loses_the_business(alice, alpha):
    Membership.objects.filter(user=alice).delete()

    assert list(businesses_for(alice)) == []


@pytest.mark.django_db
def test_a_user_belongs_to_a_business_once(alice, alpha):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=alice, business=alpha, role=Membership.AGENT)
