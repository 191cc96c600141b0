"""The settings pages' forms: they read what an owner typed and say, next to the field, what to fix."""

import functools
import re
import zoneinfo
from datetime import time

import phonenumbers
from django import forms

from textback.accounts.hours import Span
from textback.accounts.models import OpeningHours
from textback.accounts.plain_forms import PlainWords
from textback.accounts.settings_actions import check_opening_hours, opening_hours_problem
from textback.calls.outcomes import LABELS, OUTCOMES
from textback.lib import gsm7, phone
from textback.lib import hours as lib_hours
from textback.messaging import templating
from textback.messaging.actions import with_first_text_additions
from textback.providers.models import MAX_PHONES, Line

NUMBER_HELP = "Type it as (512) 555-0147, or with the country code for another country: +44 20 7946 0958."


@functools.cache
def time_zone_choices() -> list[tuple[str, str]]:
    names = sorted(n for n in zoneinfo.available_timezones() if "/" in n and not n.startswith(("Etc/", "SystemV/")))
    return [(name, name.replace("_", " ")) for name in ["UTC", *names]]


@functools.cache
def country_choices() -> list[tuple[str, str]]:
    regions = sorted(r for r in phonenumbers.SUPPORTED_REGIONS if r != "001")
    return [(r, f"{r} (+{phonenumbers.country_code_for_region(r)})") for r in regions]


def minutes_field(label: str, help_text: str, *, low: int = 1, high: int = 24 * 60) -> forms.IntegerField:
    words = f"Give a whole number of minutes from {low} to {high}."
    return forms.IntegerField(
        label=label,
        help_text=help_text,
        min_value=low,
        max_value=high,
        error_messages={"invalid": words, "min_value": words, "max_value": words, "required": words},
    )


CAP_MAX = 100_000


def _cap_words(window: str) -> dict:
    words = f"Give a whole number of texts per {window}, from 0 (no cap) to {CAP_MAX:,}."
    return dict.fromkeys(("invalid", "min_value", "max_value", "required"), words)


class BusinessProfileForm(PlainWords, forms.Form):
    name = forms.CharField(
        max_length=100,
        help_text="As callers know you; texts say “this is Mike at <name>”.",
        strip=True,
        error_messages={"required": "Give the business’s name, as callers know it."},
    )
    time_zone = forms.ChoiceField(
        choices=time_zone_choices,
        help_text="Opening hours, quiet times and the times on every page use it.",
        error_messages=dict.fromkeys(
            ("required", "invalid_choice"), "Choose your time zone from the list, e.g. America/Chicago."
        ),
    )
    country = forms.ChoiceField(
        choices=country_choices,
        help_text="Numbers typed without a + country code are read as this country's.",
        error_messages=dict.fromkeys(
            ("required", "invalid_choice"), "Choose your country from the list, e.g. US (+1)."
        ),
    )
    help_contact = forms.CharField(
        max_length=160,
        required=False,
        label="Help contact",
        help_text="How a caller reaches a person, sent when they text HELP: a phone, an email or a web address.",
    )
    textback_outcomes = forms.MultipleChoiceField(
        choices=[(o, LABELS[o]) for o in OUTCOMES],
        widget=forms.CheckboxSelectMultiple,
        label="Text back after these calls",
        error_messages={
            "required": "Tick at least one; to stop text-backs, switch them off on each line instead.",
            "invalid_choice": "Tick the kinds of call to text back from the list.",
        },
    )
    allowed_countries = forms.CharField(
        max_length=200,
        label="Countries to text",
        help_text="Two-letter codes, comma-separated, e.g. US, CA. Callers from elsewhere are not texted.",
    )
    cooldown_hours = forms.IntegerField(
        label="Cool-down (hours)",
        min_value=0,
        max_value=24 * 30,
        help_text="A caller texted automatically is not texted automatically again for this long. 0: no cool-down.",
        error_messages={
            k: "Give a whole number of hours from 0 to 720." for k in ("invalid", "min_value", "max_value")
        },
    )
    staleness_minutes = minutes_field(
        "Give up on a late text-back after (minutes)",
        "A text-back that could not go out this long after it was due is recorded as expired and never sent.",
    )
    sla_amber_minutes = minutes_field(
        "Amber after (minutes)", "A caller's message unanswered this long shows amber in the inbox."
    )
    sla_red_minutes = minutes_field("Red after (minutes)", "…and red after this long. Must be more than amber.")
    escalate_after_minutes = minutes_field(
        "Alert managers after (minutes)",
        "A message unanswered this long during opening hours alerts the managers and owners, once; callers who "
        "wrote while you were closed come in one digest at opening time. 0: never alert anyone (the inbox still "
        "shows amber and red).",
        low=0,
    )

    texts_per_hour = forms.IntegerField(
        label="Most automatic texts in an hour",
        min_value=0,
        max_value=CAP_MAX,
        help_text="Default 200. Past it, missed calls are not texted back until the next clock hour, and owners get "
        "one alert. It stops a flood of robocalls from texting strangers on your account. 0: no cap.",
        error_messages=_cap_words("hour"),
    )
    texts_per_day = forms.IntegerField(
        label="Most automatic texts in a day",
        min_value=0,
        max_value=CAP_MAX,
        help_text="Default 1000, counted from your midnight. Past it, missed calls are not texted back until "
        "tomorrow, and owners get one alert. 0: no cap.",
        error_messages=_cap_words("day"),
    )

    def clean_allowed_countries(self) -> str:
        codes = list(dict.fromkeys(c.strip().upper() for c in self.cleaned_data["allowed_countries"].split(",")))
        codes = [c for c in codes if c]
        wrong = [c for c in codes if c not in phonenumbers.SUPPORTED_REGIONS or c == "001"]
        if wrong:
            raise forms.ValidationError(f"“{wrong[0]}” is not a two-letter country code such as US, CA or GB.")
        if not codes:
            raise forms.ValidationError("Give at least one country, e.g. US.")
        return ",".join(codes)

    def clean_textback_outcomes(self) -> str:
        return ",".join(o for o in OUTCOMES if o in self.cleaned_data["textback_outcomes"])

    def clean(self):
        data = super().clean()
        amber, red = data.get("sla_amber_minutes"), data.get("sla_red_minutes")
        if amber is not None and red is not None and amber >= red:
            self.add_error(
                "sla_red_minutes",
                f"Red must come after amber: give more than {amber} minutes, or lower amber first.",
            )
        return data

    @classmethod
    def initial_for(cls, business) -> dict:
        fields = {name: getattr(business, name) for name in cls.base_fields}
        fields["textback_outcomes"] = sorted(business.outcome_set)
        fields["allowed_countries"] = ", ".join(sorted(business.country_set))
        return fields


# --- opening hours -------------------------------------------------------------------------------

ALWAYS, WEEKLY = "always", "weekly"
TIME_FORMATS = ["%H:%M", "%H:%M:%S", "%I:%M %p", "%I:%M%p", "%I %p", "%I%p", "%H.%M", "%H"]
BAD_TIME = "Type a time such as 8:00 AM or 17:30."
MAX_ROWS = 8


class HoursForm(PlainWords, forms.Form):
    """Each weekday closed, or open in one or more spans; or no hours at all (always open)."""

    mode = forms.ChoiceField(
        label="When are you open?",
        choices=[(WEEKLY, "Open these hours"), (ALWAYS, "Always open (no opening hours)")],
        widget=forms.RadioSelect,
        initial=WEEKLY,
        error_messages=dict.fromkeys(("required", "invalid_choice"), "Choose “Open these hours” or “Always open”."),
    )

    def __init__(self, *args, rows: dict[int, int], **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = rows
        for day, _ in OpeningHours.WEEKDAYS:
            self.fields[f"d{day}_closed"] = forms.BooleanField(required=False, label="Closed")
            for i in range(rows[day]):
                for end in ("opens", "closes"):
                    self.fields[f"d{day}_{end}_{i}"] = forms.TimeField(
                        required=False,
                        input_formats=TIME_FORMATS,
                        label=f"{end.capitalize()}",
                        error_messages={"invalid": BAD_TIME},
                        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
                    )

    @staticmethod
    def rows_for(spans: list[Span], data=None) -> dict[int, int]:
        """How many span rows each day shows: the spans it has (or was sent) and a spare one, at least two."""
        rows = {}
        for day, _ in OpeningHours.WEEKDAYS:
            count = sum(1 for s in spans if s.weekday == day)
            if data is not None:
                sent = [int(m.group(1)) for k in data if (m := re.fullmatch(rf"d{day}_opens_(\d+)", k))]
                count = max(sent, default=-1) + 1
            rows[day] = min(max(count + 1 if data is None else count, 2), MAX_ROWS)
        return rows

    @staticmethod
    def initial_for(spans: list[Span]) -> dict:
        initial: dict[str, object] = {"mode": WEEKLY if spans else ALWAYS}
        for day, _ in OpeningHours.WEEKDAYS:
            mine = [s for s in spans if s.weekday == day]
            initial[f"d{day}_closed"] = bool(spans) and not mine
            for i, span in enumerate(mine):
                initial[f"d{day}_opens_{i}"], initial[f"d{day}_closes_{i}"] = span.opens, span.closes
        return initial

    def days(self):
        """Per weekday: its name, the Closed box and the span rows as (opens, closes) bound fields, for the page."""
        for day, name in OpeningHours.WEEKDAYS:
            rows = [(self[f"d{day}_opens_{i}"], self[f"d{day}_closes_{i}"]) for i in range(self.rows[day])]
            yield {"name": name, "closed": self[f"d{day}_closed"], "rows": rows}

    def clean(self):
        data = super().clean()
        if data.get("mode") != WEEKLY:
            data["spans"] = []
            return data
        days: dict[int, list[Span]] = {}
        where: dict[tuple[int, int], int] = {}  # (day, index in days[day]) → the row it was typed in
        for day, name in OpeningHours.WEEKDAYS:
            days[day] = []
            if data.get(f"d{day}_closed"):
                continue
            for i in range(self.rows[day]):
                opens, closes = data.get(f"d{day}_opens_{i}"), data.get(f"d{day}_closes_{i}")
                if f"d{day}_opens_{i}" in self.errors or f"d{day}_closes_{i}" in self.errors:
                    continue
                if opens is None and closes is None:
                    continue
                if opens is None or closes is None:
                    missing = f"d{day}_{'opens' if opens is None else 'closes'}_{i}"
                    self.add_error(missing, "Give both the opening and the closing time.")
                    continue
                where[(day, len(days[day]))] = i
                days[day].append(Span(day, opens.replace(second=0), closes.replace(second=0)))
            if not days[day] and not any(k.startswith(f"d{day}_") for k in self.errors):
                self.add_error(f"d{day}_closed", f"Tick “Closed” or give the hours {name} opens.")
        for problem in check_opening_hours(days):
            self.add_error(f"d{problem.weekday}_closes_{where[(problem.weekday, problem.index)]}", problem.message)
        spans = [span for day in days.values() for span in day]
        if not spans and not self.errors:
            raise forms.ValidationError(
                "Every day is closed. With no opening hours at all textback counts you as always open; "
                "open at least one day, or choose “Always open”."
            )
        data["spans"] = spans
        return data


# --- lines ---------------------------------------------------------------------------------------


class PhoneListField(forms.CharField):
    """Phone numbers one a line (commas work too), each read in the business's country, as E.164."""

    widget = forms.Textarea(attrs={"rows": 3})

    def __init__(self, *args, country: str = "US", **kwargs):
        super().__init__(*args, **kwargs)
        self.country = country

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value) -> list[str]:
        numbers = []
        items = [item.strip() for item in re.split(r"[\n,;]", value or "") if item.strip()]
        for n, item in enumerate(items, 1):
            try:
                numbers.append(phone.to_e164(item, self.country))
            except phone.InvalidNumber:
                where = f"Line {n}: " if len(items) > 1 else ""
                raise forms.ValidationError(f"{where}“{item[:40]}” is not a phone number. {NUMBER_HELP}") from None
        return list(dict.fromkeys(numbers))


def normalised_number(raw: str, country: str) -> str:
    try:
        return phone.to_e164(raw, country)
    except phone.InvalidNumber:
        shown = raw.strip()[:40]
        raise forms.ValidationError(
            f"“{shown}” is not a phone number. {NUMBER_HELP}" if shown else NUMBER_HELP
        ) from None


def refuse_taken(number: str, business, line: Line | None = None) -> None:
    taken = Line.objects.filter(number=number).exclude(pk=getattr(line, "pk", None)).first()
    if taken is None:
        return
    if taken.business_id == business.pk:
        raise forms.ValidationError(f"{phone.pretty(number)} is already your line “{taken}”.")
    raise forms.ValidationError(f"{phone.pretty(number)} is already a line in textback; a number can be one line only.")


# --- how long a template's text can get ----------------------------------------------------------

MAX_SEGMENTS = 3  # longer texts cost more than a text each and are filtered more often by carriers


def longest_first_text(business, template: str) -> str:
    """The most a first-time caller could read: every merge field at its longest, plus what a first text gets
    (the business's name, "Reply STOP to opt out.") when the template leaves it out."""
    return with_first_text_additions(business, None, templating.longest(template), limit=10**6, first_text=True)


def too_long_to_send(text: str) -> str:
    """Why the longest text is refused, or "" when it fits in one text."""
    if len(text) <= templating.MAX_TEXT:
        return ""
    return (
        f"Filled in, this text can run to {len(text):,} characters (a caller’s name, the staff name and your "
        f"business name can each be {templating.MAX_VALUE} characters long, and a first text also gets your "
        f"business’s name and “Reply STOP to opt out.”). A text can be at most {templating.MAX_TEXT:,} characters: "
        f"shorten it by at least {len(text) - templating.MAX_TEXT:,}."
    )


def segment_warning(text: str) -> str:
    """A warning, with the count, when the longest text takes more than MAX_SEGMENTS segments; else ""."""
    shape = gsm7.shape(text)
    if shape.segments <= MAX_SEGMENTS:
        return ""
    each = gsm7.GSM7_CONCAT if shape.encoding == gsm7.GSM7 else gsm7.UCS2_CONCAT
    return (
        f"With long names filled in, this text can take {shape.segments} segments ({each} characters each). "
        f"Each segment is charged as one text, and carriers filter long texts more often: keep it to "
        f"{MAX_SEGMENTS} segments ({MAX_SEGMENTS * each} characters) or fewer."
    )


CALL_MODES = [
    (Line.FORWARD_SCREEN, "Forward and screen"),
    (Line.CARRIER_FORWARD, "Carrier forwarding"),
    (Line.STATUS_ONLY, "Status only"),
    (Line.GENERIC_PBX, "Generic PBX"),
]
CALL_MODE_HELP = (
    "Forward and screen: textback rings the phones below; whoever answers presses 1 to take the call. "
    "Carrier forwarding: your carrier forwards unanswered calls here, so every call that arrives was missed. "
    "Status only: your own Twilio call flow reports to textback. Generic PBX: your phone system posts finished calls."
)


class OwnHoursField(forms.CharField):
    """A line's own weekly hours typed as "Mon-Fri 08:00-17:00", one span a line."""

    widget = forms.Textarea(attrs={"rows": 3, "placeholder": "Mon-Fri 08:00-17:00\nSat 09:00-12:00"})

    def prepare_value(self, value):
        if isinstance(value, list):
            return lib_hours.format_spans(_spans(value))
        return value

    def to_python(self, value) -> list:
        try:
            spans = lib_hours.parse_spans(str(value or ""))
        except lib_hours.SpanSyntaxError as exc:
            raise forms.ValidationError(str(exc)) from None
        if problem := opening_hours_problem(spans):
            raise forms.ValidationError(problem)
        return [[s.weekday, f"{s.opens:%H:%M}", f"{s.closes:%H:%M}"] for s in spans]


def _spans(rows: list) -> list[lib_hours.Span]:
    return [lib_hours.Span(int(d), time.fromisoformat(a), time.fromisoformat(b)) for d, a, b in rows]


VARIANT_TEMPLATES = ("after_hours_template", "holiday_template", "repeat_caller_template", "emergency_template")


class LineForm(PlainWords, forms.ModelForm):
    """Every setting of a line; `Line.clean()` (the rules the CLI and the admin use) runs on top."""

    number = forms.CharField(
        max_length=40,
        help_text=NUMBER_HELP,
        error_messages={"required": "Give the line's phone number. " + NUMBER_HELP},
    )
    delay_seconds = forms.IntegerField(
        label="Delay before texting (seconds)",
        min_value=0,
        max_value=3600,
        help_text="0 texts at once. A text-back works best within a minute of the call.",
        error_messages={
            k: "Give a whole number of seconds from 0 to 3600." for k in ("invalid", "min_value", "max_value")
        },
    )

    class Meta:
        model = Line
        fields = [
            "number", "label", "active", "call_mode", "forward_to", "ring_seconds", "delay_seconds", "staff_name",
            "textback_enabled", "textback_template", "voicemail_template", "after_hours_template", "holiday_template",
            "repeat_caller_template", "emergency_triage", "emergency_template", "own_hours", "hours",
            "record_voicemail", "greeting", "keyword_replies",
        ]  # fmt: skip
        labels = {
            "label": "Label or location",
            "active": "Line in use",
            "forward_to": "Phones to ring",
            "ring_seconds": "Ring for (seconds)",
            "staff_name": "Staff name",
            "textback_enabled": "Text back missed callers",
            "textback_template": "Text-back",
            "voicemail_template": "Text after a voicemail",
            "after_hours_template": "Text after hours",
            "holiday_template": "Text on a public holiday or closure",
            "repeat_caller_template": "Text to a repeat caller",
            "emergency_triage": "Ask after-hours callers whether it is an emergency",
            "emergency_template": "Emergency triage text",
            "own_hours": "This line keeps its own opening hours",
            "hours": "This line's hours",
            "record_voicemail": "Take a voicemail when nobody answers",
            "greeting": "Voicemail greeting",
            "keyword_replies": "Who answers STOP, START and HELP",
        }
        help_texts = {
            "active": "Off: the number was released or paused; nothing is sent from it, not even by staff.",
            "ring_seconds": "10 to 600. About 20 rings out before most cell phones' own voicemail answers.",
            "staff_name": "Signs the text: “this is Mike at …”. Fills {staff}.",
            "greeting": "What the caller hears before the tone.",
            "voicemail_template": "Blank: the text-back is used after a voicemail too.",
            "after_hours_template": "Sent when a call comes while you are closed. Blank: the text-back.",
            "holiday_template": "Sent on a public holiday or a closure. Blank: the after-hours text.",
            "repeat_caller_template": "Sent in opening hours to someone you called or texted before (after "
            "hours they get the after-hours text). Blank: the text-back.",
            "emergency_triage": "Off by default. For trades with after-hours dispatch: after hours, this text "
            "is sent instead of every other one.",
            "emergency_template": "Blank: the after-hours text.",
            "own_hours": "Off by default: the line follows the business's opening hours. On: the hours below "
            "(another location); the business's public holidays and closures still apply.",
        }
        widgets = {
            "textback_template": forms.Textarea(attrs={"rows": 4}),
            "voicemail_template": forms.Textarea(attrs={"rows": 4}),
            **{name: forms.Textarea(attrs={"rows": 3}) for name in VARIANT_TEMPLATES},
            "greeting": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, preview_url: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.business = self.instance.business
        if preview_url:  # the previews follow what is typed (htmx posts the whole form; nothing is saved)
            live = {"hx-post": preview_url, "hx-trigger": "input changed delay:300ms", "hx-target": "#previews",
                    "hx-swap": "outerHTML", "hx-sync": "closest form:replace"}  # fmt: skip
            for name in ("textback_template", "voicemail_template", *VARIANT_TEMPLATES, "staff_name"):
                self.fields[name].widget.attrs.update(live)
        self.fields["hours"] = OwnHoursField(
            required=False,
            label="This line's hours",
            help_text="One span a line, 24-hour times: Mon-Fri 08:00-17:00, Sat 09:00-12:00. A span that closes "
            "before it opens runs past midnight. Used only when the box above is ticked.",
        )
        self.fields["forward_to"] = PhoneListField(
            country=self.business.country,
            required=False,
            label="Phones to ring",
            help_text=f"One number a line, up to {MAX_PHONES}; staff phones, never this line's own number. "
            "Forward-and-screen lines ring them all at once.",
        )
        self.fields["keyword_replies"].choices = [
            ("", "The provider's usual"),
            (Line.OURS, "textback answers them"),
            (Line.PROVIDER, "The provider answers them"),
        ]
        self.fields["keyword_replies"].help_text = (
            "The provider's usual: Twilio answers STOP, START and HELP on ordinary numbers itself; "
            "the sandbox carrier does not, so textback does."
        )
        self.fields["call_mode"].choices = CALL_MODES
        self.fields["call_mode"].help_text = CALL_MODE_HELP
        self.fields["call_mode"].error_messages.update(
            dict.fromkeys(
                ("required", "invalid_choice"), "Choose how calls reach this line: one of the four call modes."
            )
        )
        self.fields["keyword_replies"].error_messages.update(
            invalid_choice="Choose who answers STOP, START and HELP from the list."
        )
        self.fields["textback_template"].error_messages.update(
            required="Write the text a missed caller gets (untick “Text back missed callers” to send none)."
        )
        self.fields["ring_seconds"].error_messages.update(invalid="Give a whole number of seconds from 10 to 600.")

    def clean_number(self) -> str:
        number = normalised_number(self.cleaned_data["number"], self.business.country)
        refuse_taken(number, self.business, self.instance)
        return number

    def clean_textback_template(self) -> str:
        return self._fitting("textback_template")

    def clean_voicemail_template(self) -> str:
        return self._fitting("voicemail_template")

    def clean(self):
        data = super().clean()
        for name in VARIANT_TEMPLATES:
            if name in data and not self.has_error(name):
                try:
                    data[name] = self._fitting(name)
                except forms.ValidationError as exc:
                    self.add_error(name, exc)
        if data.get("own_hours") and not data.get("hours"):
            self.add_error("hours", "Give the line's own hours, e.g. Mon-Fri 08:00-17:00, or untick the box above.")
        return data

    def _fitting(self, name: str) -> str:
        template = self.cleaned_data[name]
        try:
            problem = too_long_to_send(longest_first_text(self.business, template)) if template.strip() else ""
        except templating.TemplateError:
            problem = ""  # a mistake in the template: the line's own check (validate_template) says what
        if problem:
            raise forms.ValidationError(problem)
        return template

    def warnings(self) -> list[str]:
        """What an owner should know about the saved templates (long texts), one line each."""
        found = []
        for name in ("textback_template", "voicemail_template", *VARIANT_TEMPLATES):
            template = self.cleaned_data.get(name) or ""
            if template.strip() and (warning := segment_warning(longest_first_text(self.business, template))):
                found.append(f"{self.fields[name].label}: {warning}")
        return found


class SandboxLineForm(PlainWords, forms.Form):
    number = forms.CharField(
        max_length=40,
        label="Number",
        help_text="Any number of your choosing: the sandbox carrier is simulated.",
        error_messages={"required": "Give the sandbox line a number, such as (737) 555-0100."},
    )
    label = forms.CharField(max_length=60, required=False, label="Label or location")
    forward_to = PhoneListField(
        required=False,
        label="Phones to ring",
        help_text="One a line. With none, every call to the line counts as missed (as with carrier forwarding).",
    )

    def __init__(self, *args, business, **kwargs):
        super().__init__(*args, **kwargs)
        self.business = business
        self.fields["forward_to"].country = business.country

    def clean_number(self) -> str:
        number = normalised_number(self.cleaned_data["number"], self.business.country)
        refuse_taken(number, self.business)
        return number

    def clean(self):
        data = super().clean()
        if data.get("number") and data.get("number") in data.get("forward_to", []):
            self.add_error(
                "forward_to", "That is the line's own number; ring staff phones, not the number callers dial."
            )
        if len(data.get("forward_to") or []) > MAX_PHONES:
            self.add_error("forward_to", f"Ring at most {MAX_PHONES} phones at once.")
        return data


# --- excluded numbers and canned replies -----------------------------------------------------------


class ExclusionForm(PlainWords, forms.Form):
    number = forms.CharField(
        max_length=40, help_text=NUMBER_HELP, error_messages={"required": "Type the number to exclude. " + NUMBER_HELP}
    )
    label = forms.CharField(max_length=100, required=False, help_text="Whose number it is, e.g. “Mike's cell”.")


class CannedReplyForm(PlainWords, forms.Form):
    title = forms.CharField(
        max_length=200,
        help_text="What staff pick it by, e.g. “Running late”.",
        error_messages={"required": "Give the reply a title, e.g. “Running late”."},
    )
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=4000,
        error_messages={"required": "Write the reply’s text."},
        label="Text",
        help_text="Up to 1,600 characters with its fields filled in (each up to 60 characters). "
        "Fields: {first_name}, {staff}, {business}, {line}; "
        "{first_name|there} gives “there” when the name is unknown.",
    )
