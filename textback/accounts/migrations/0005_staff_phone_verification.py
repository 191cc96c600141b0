"""Staff phones: verified by a texted code, one member per phone in a business, always E.164.

Before the uniqueness can hold, every existing phone is written in E.164 (in the business's country), a
phone that is not a number textback can text is cleared, and when two members of one business have the
same phone the first member keeps it and the others' are cleared. Each change is printed. Nobody's phone
is verified yet: each person types the code textback texts them on My settings (or an operator vouches
for a phone with `textback user phone --verified`).
"""

from django.conf import settings
from django.db import migrations, models

from textback.lib.phone import InvalidNumber, to_e164


def tidy_phones(apps, schema_editor):
    Membership = apps.get_model("accounts", "Membership")
    taken: dict[tuple[int, str], int] = {}
    members = Membership.objects.exclude(phone="").select_related("business", "user").order_by("pk")
    for member in members:
        raw, who = member.phone, f"{member.user.username} at {member.business.slug}"
        try:
            number = to_e164(raw, member.business.country or "US")
        except InvalidNumber:
            number, why = "", "not a phone number textback can text"
        else:
            first = taken.setdefault((member.business_id, number), member.pk)
            why = "" if first == member.pk else f"already the phone of member {first} (kept there)"
            number = number if first == member.pk else ""
        if number != raw:
            Membership.objects.filter(pk=member.pk).update(phone=number)
            change = f"{raw!r} -> {number!r}" if number else f"cleared {raw!r}: {why}"
            print(f"\n  staff phone of {who}: {change}", end="")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_two_factor"),
        ("providers", "0003_line_active"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="membership",
            name="phone_verified",
            field=models.CharField(
                blank=True,
                editable=False,
                help_text="The phone whose texted code this person typed back: the phone is verified while it is this one.",
                max_length=20,
            ),
        ),
        migrations.AddField(
            model_name="membership",
            name="phone_verified_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(tidy_phones, migrations.RunPython.noop, elidable=False),
        migrations.AddConstraint(
            model_name="membership",
            constraint=models.UniqueConstraint(
                condition=models.Q(("phone", ""), _negated=True),
                fields=("business", "phone"),
                name="one_member_per_phone",
                violation_error_message="That phone is already another member's phone at this business.",
            ),
        ),
    ]
