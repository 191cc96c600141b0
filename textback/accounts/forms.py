"""The forms of the people pages: what a person types, checked and told in plain words."""

from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError

from textback.accounts.invitations import MAX_NAME
from textback.accounts.models import Membership
from textback.accounts.plain_forms import ModelIdsField, PlainWords
from textback.alerts import verify
from textback.lib import phone

ROLE_CHOICES = [
    (Membership.AGENT, "Agent: sees and answers conversations"),
    (Membership.MANAGER, "Manager: also assigns, sets outcomes, sees every line"),
    (Membership.OWNER, "Owner: also manages staff, lines and settings"),
]


CHOOSE_ROLE = "Choose a role: owner, manager or agent."


class InviteForm(PlainWords, forms.Form):
    email = forms.CharField(
        max_length=254,
        label="Email address",
        error_messages={"required": "Type the email address of the person to invite."},
    )
    role = forms.ChoiceField(
        choices=ROLE_CHOICES,
        initial=Membership.AGENT,
        error_messages=dict.fromkeys(("required", "invalid_choice"), CHOOSE_ROLE),
    )


class AcceptForm(PlainWords, forms.Form):
    """A new person's name and password, checked by Django's password validators."""

    name = forms.CharField(max_length=MAX_NAME, label="Your name")
    password1 = forms.CharField(label="Password", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(
        label="The password again", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def __init__(self, *args, invitation=None, **kwargs):
        self.invitation = invitation
        super().__init__(*args, **kwargs)

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise ValidationError("Type your name, so colleagues know who answered.")
        return name

    def clean(self):
        data = super().clean()
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", "The two passwords are not the same.")
        elif first:
            from django.contrib.auth import get_user_model

            user = get_user_model()(username=self.invitation.email, email=self.invitation.email)
            user.first_name = data.get("name", "")
            try:
                password_validation.validate_password(first, user)
            except ValidationError as exc:
                self.add_error("password1", exc)
        return data


class RoleForm(PlainWords, forms.Form):
    role = forms.ChoiceField(
        choices=ROLE_CHOICES,
        widget=forms.RadioSelect,
        error_messages=dict.fromkeys(("required", "invalid_choice"), CHOOSE_ROLE),
    )


class LinesForm(PlainWords, forms.Form):
    lines = ModelIdsField(queryset=None, required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, business, **kwargs):
        from textback.providers.models import Line

        super().__init__(*args, **kwargs)
        self.fields["lines"].queryset = Line.objects.filter(business=business).order_by("number")
        self.fields["lines"].label_from_instance = lambda line: " · ".join(
            part for part in (phone.pretty(line.number), line.label) if part
        )
        self.fields["lines"].error_messages["invalid_choice"] = "That line is not one of this business's lines."


class CodeForm(PlainWords, forms.Form):
    code = forms.CharField(
        max_length=20,
        label="Code",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )


class MySettingsForm(PlainWords, forms.ModelForm):
    """How one person is alerted for one business. Times are in the business's time zone."""

    class Meta:
        model = Membership
        fields = [
            "phone",
            "alert_email",
            "alert_sms",
            "alert_browser",
            "alert_on_reply",
            "alert_on_missed_call",
            "alert_on_sla",
            "quiet_start",
            "quiet_end",
            "escalations_in_quiet_time",
            "weekly_summary",
        ]
        labels = {
            "phone": "My phone",
            "alert_email": "Email",
            "alert_sms": "Text message to my phone",
            "alert_browser": "Browser notification while textback is open",
            "alert_on_reply": "A caller replies (in my conversations, or my lines' when nobody is assigned)",
            "alert_on_missed_call": "Every missed call",
            "alert_on_sla": "A caller has waited too long for an answer (managers and owners)",
            "quiet_start": "Quiet from",
            "quiet_end": "Quiet until",
            "escalations_in_quiet_time": "Alerts about callers waiting too long reach me even in quiet time",
            "weekly_summary": "Email me last week's recovery report every Monday at 8 AM (owners and managers)",
        }
        help_texts = {
            "phone": "For text alerts, and for answering a caller by replying to an alert. We text it a code to "
            "check it is yours.",
            "quiet_end": "Overnight is fine: from 21:00 until 07:00.",
        }
        widgets = {
            "quiet_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "quiet_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "placeholder": "(512) 555-0199"}),
        }
        error_messages = {
            "quiet_start": {"invalid": "Give the time as hours and minutes, such as 21:00."},
            "quiet_end": {"invalid": "Give the time as hours and minutes, such as 07:00."},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.role == Membership.AGENT:  # the report shows revenue: managers and owners only
            del self.fields["weekly_summary"]

    def clean_phone(self):
        raw = self.cleaned_data["phone"].strip()
        if not raw:
            return ""
        business = self.instance.business
        try:
            number = phone.to_e164(raw, business.country or "US")
        except phone.InvalidNumber:
            raise ValidationError(
                f"“{raw[:40]}” is not a phone number we can text. Write it as you would dial it, "
                "such as (512) 555-0199, or with the country code, such as +44 20 7946 0958."
            ) from None
        if number != self.instance.phone:
            problem = verify.refusal(self.instance, number)
            if problem:
                raise ValidationError(problem)
        return number

    def clean(self):
        data = super().clean()
        if data.get("alert_sms") and not data.get("phone") and "phone" not in self.errors:
            self.add_error("phone", "Add your phone number to get alerts by text message.")
        start, end = data.get("quiet_start"), data.get("quiet_end")
        if (start is None) != (end is None) and not {"quiet_start", "quiet_end"} & set(self.errors):
            self.add_error(
                "quiet_end" if end is None else "quiet_start",
                "Give both the start and the end of your quiet time, or leave both empty.",
            )
        elif start is not None and start == end:
            self.add_error("quiet_end", "Quiet time starts and ends at the same time; give an end that differs.")
        return data
