"""Settings pages: everything an owner could configure from the CLI or the admin, in the staff app.

Each page reaches its business through `business_or_404` with the action it needs (owners for the
profile, hours and lines; managers for excluded numbers and canned replies), reads input with a form
from setup_forms.py, changes state in one `do_*` call inside `transaction.atomic()`, and redirects
with a message. Bad input re-renders the page with the message next to the field, nothing written.
"""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from textback.accounts import settings_actions
from textback.accounts.access import ACTIONS, ROLE_NAMES, business_or_404, can
from textback.accounts.hours import Schedule, spans_of
from textback.inbox import setup_hours
from textback.inbox.setup_forms import (
    BusinessProfileForm,
    CannedReplyForm,
    ExclusionForm,
    HoursForm,
    LineForm,
    SandboxLineForm,
    longest_first_text,
    segment_warning,
    too_long_to_send,
)
from textback.lib import gsm7, phone
from textback.messaging import contacts, templating
from textback.messaging.actions import OPT_OUT_LINE, with_first_text_additions
from textback.messaging.models import CannedReply, ExcludedNumber
from textback.providers import line_actions
from textback.providers.models import TWILIO, Line, ProviderAccount


@dataclass(frozen=True)
class Section:
    """One entry of the settings hub: a page, what it is for, and the action (role) it needs."""

    title: str
    url_name: str
    action: str
    blurb: str


# The settings hub lists these in order; a new settings page adds its Section here.
SECTIONS = [
    Section(
        "Business profile",
        "settings-profile",
        "manage_settings",
        "Name, time zone, which missed calls get a text-back, caps on automatic texts, and how fast callers should "
        "hear back.",
    ),
    Section("Opening hours", "settings-hours", "manage_settings", "When you are open, day by day."),
    Section(
        "Lines",
        "settings-lines",
        "manage_lines",
        "Your phone numbers: which phones ring, for how long, and what the text-back says.",
    ),
    Section(
        "Follow-ups",
        "settings-followups",
        "manage_settings",
        "Off by default: texting callers again an hour or a day later, only where the law allows.",
    ),
    Section(
        "Excluded numbers",
        "settings-excluded",
        "exclude_number",
        "Staff, vendors and family: numbers that never get an automatic text.",
    ),
    Section("Canned replies", "settings-canned", "canned_replies", "Saved answers staff send with one click."),
    Section(
        "On call and emergencies",
        "settings-on-call",
        "view",
        "Who is paged when a caller's reply is an emergency, in what order, and what BOOK sends.",
    ),
    Section(
        "Staff",
        "staff",
        "manage_staff",
        "Invite people, set their roles and the lines they answer, remove someone who left.",
    ),
    Section(
        "Alert webhooks",
        "alert-webhooks",
        "manage_webhooks",
        "Post new replies, missed calls and SLA breaches to Slack or to your own system, signed.",
    ),
    Section(
        "API tokens",
        "api-tokens",
        "manage_api_tokens",
        "Let a CRM, Zapier or your own scripts read calls and conversations, send texts and set outcomes (/api/v1).",
    ),
    Section("Consent ledger", "consent", "view", "Every opt-out, opt-in and help request, in order."),
    Section(
        "Costs and trade",
        "settings-costs",
        "manage_settings",
        "What textback costs you (software, SMS, numbers) and your trade: the ROI and its benchmarks.",
    ),
    Section(
        "Data retention",
        "settings-retention",
        "manage_settings",
        "How long the words of texts and the recordings are kept (default: for ever). Counts always stay.",
    ),
]


def post_only(request):
    """None for a POST; else the 405 to return. Views call it after the tenant lookup, so another
    business's objects are 404 whatever the method."""
    return None if request.method == "POST" else HttpResponseNotAllowed(["POST"])


def posted(request):
    return request.POST if request.method == "POST" else None


@login_required
def hub(request, slug: str):
    biz = business_or_404(request, slug)
    sections = [
        {
            "section": s,
            "url": reverse(s.url_name, args=[slug]),
            "allowed": can(request.membership, s.action),
            "needs": ROLE_NAMES[ACTIONS[s.action]].lower(),
        }
        for s in SECTIONS
    ]
    return render(request, "inbox/settings/hub.html", {"business": biz, "sections": sections})


# --- business profile ------------------------------------------------------------------------------


@login_required
def profile(request, slug: str):
    biz = business_or_404(request, slug, "manage_settings")
    form = BusinessProfileForm(posted(request), initial=BusinessProfileForm.initial_for(biz))
    if form.is_valid():
        with transaction.atomic():
            changed = settings_actions.do_update_business(biz, form.cleaned_data)
        messages.success(request, "Saved the business profile." if changed else "Nothing had changed.")
        return redirect("settings-profile", slug)
    return render(request, "inbox/settings/profile.html", {"business": biz, "form": form})


# --- opening hours ---------------------------------------------------------------------------------


def opening_summary(spans, time_zone: str, now) -> str:
    """One line saying whether the weekly hours are open now and, if not, when they open."""
    return setup_hours.summary(Schedule(tuple(spans), time_zone), now)


def hours_page(request, biz, *, form=None, status: int = 200, **forms):
    """The opening hours page: the weekly hours, public holidays and closures, with whichever form was sent."""
    if form is None:
        spans = spans_of(biz)
        form = HoursForm(rows=HoursForm.rows_for(spans), initial=HoursForm.initial_for(spans))
    context = {"business": biz, "form": form, "summary": setup_hours.schedule_summary(biz, timezone.now())}
    context.update(setup_hours.context(request, biz, **forms))
    return render(request, "inbox/settings/hours.html", context, status=status)


@login_required
def hours(request, slug: str):
    biz = business_or_404(request, slug, "manage_settings")
    spans = spans_of(biz)
    data = posted(request)
    form = HoursForm(data, rows=HoursForm.rows_for(spans, data), initial=HoursForm.initial_for(spans))
    if form.is_valid():
        with transaction.atomic():
            settings_actions.do_set_opening_hours(biz, form.cleaned_data["spans"])
        messages.success(request, "Saved the opening hours.")
        return redirect("settings-hours", slug)
    return hours_page(request, biz, form=form)


# --- lines -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Preview:
    """A template as a caller reads it, and what it costs to send."""

    title: str
    text: str = ""
    error: str = ""
    note: str = ""
    warning: str = ""
    shape: gsm7.SmsShape | None = None

    @property
    def counter(self) -> str:
        """e.g. "GSM-7: 142 characters, 1 segment (up to 160 characters in one)"."""
        if self.shape is None:
            return ""
        single, concat = (gsm7.GSM7_SINGLE, gsm7.GSM7_CONCAT) if self.shape.encoding == gsm7.GSM7 else (
            gsm7.UCS2_SINGLE, gsm7.UCS2_CONCAT)  # fmt: skip
        segments = self.shape.segments
        room = f"up to {single} characters in one" if segments <= 1 else f"{concat} characters each"
        plural = "" if segments == 1 else "s"
        return f"{self.shape.encoding}: {self.shape.units} characters, {segments} segment{plural} ({room})"


EXAMPLE_NAME = "Jane"
EXAMPLE_SEGMENTS = 2  # the editor warns above this many segments for the example
EXAMPLE_TIMES = {"hours_today": "8 AM-5 PM", "next_open": "tomorrow at 8 AM", "call_time": "this afternoon"}
# The line's templates, by situation, with what a blank one means (rules/situation.py falls back so).
VARIANT_PREVIEWS = [
    ("textback_template", "Text-back (open, a new caller)", ""),
    ("voicemail_template", "After a voicemail", "Blank: the text-back above is sent after a voicemail too."),
    ("after_hours_template", "After hours", "Blank: the text-back above is sent after hours too."),
    ("holiday_template", "Public holiday or closure", "Blank: the after-hours text is sent on those days."),
    ("repeat_caller_template", "Repeat caller (open)", "Blank: repeat callers get the text-back above."),
    ("emergency_template", "Emergency triage (after hours)", "Blank: the after-hours text is sent instead."),
]
MAX_PREVIEWED = 5000


def preview(business, title: str, template: str, *, staff_name: str, number: str, blank: str = "") -> Preview:
    if not template.strip() and blank:
        return Preview(title, note=blank)
    values = {"business": business.name, "staff": staff_name, "first_name": EXAMPLE_NAME, "line": phone.pretty(number),
              "booking_link": business.booking_link, **EXAMPLE_TIMES}  # fmt: skip
    try:
        body = templating.render(template[:MAX_PREVIEWED], values)
    except templating.TemplateError as exc:
        return Preview(title, error=f"This cannot be sent: {exc}.")
    text = with_first_text_additions(business, None, body, first_text=True)
    longest = longest_first_text(business, template[:MAX_PREVIEWED])
    refusal = too_long_to_send(longest)
    shape = gsm7.shape(text)
    return Preview(title, text=text, shape=shape, error=refusal, warning=segment_warning(longest) or _over_two(shape))


def _over_two(shape: gsm7.SmsShape) -> str:
    if shape.segments <= EXAMPLE_SEGMENTS:
        return ""
    return f"This example takes {shape.segments} segments; each is charged as one text. Keep it to {EXAMPLE_SEGMENTS}."


def line_previews(business, *, staff_name: str, number: str, templates: dict[str, str]) -> list[Preview]:
    """A preview per situation's template, for what is typed now (a template not sent is shown as saved)."""
    return [
        preview(business, title, templates.get(name, ""), staff_name=staff_name, number=number, blank=blank)
        for name, title, blank in VARIANT_PREVIEWS
    ]


@login_required
def lines(request, slug: str):
    biz = business_or_404(request, slug, "manage_lines")
    rows = Line.objects.filter(business=biz).select_related("account").order_by("number")
    return render(request, "inbox/settings/lines.html", {"business": biz, "lines": rows})


@login_required
def line_new(request, slug: str):
    biz = business_or_404(request, slug, "manage_lines")
    form = SandboxLineForm(posted(request), business=biz)
    if form.is_valid():
        data = form.cleaned_data
        with transaction.atomic():
            line = line_actions.do_add_sandbox_line(
                biz, number=data["number"], label=data["label"], forward_to=data["forward_to"]
            )
        messages.success(request, f"Added the sandbox line {phone.pretty(line.number)}. Set it up below.")
        return redirect("settings-line", slug, line.pk)
    accounts = ProviderAccount.objects.filter(business=biz, provider=TWILIO).order_by("pk")
    return render(request, "inbox/settings/line_new.html", {"business": biz, "form": form, "accounts": accounts})


@login_required
def line(request, slug: str, pk: int):
    biz = business_or_404(request, slug, "manage_lines")
    lines_of_biz = Line.objects.select_related("account", "business").filter(business=biz)
    shown = get_object_or_404(lines_of_biz, pk=pk)
    preview_url = reverse("settings-line-preview", args=[slug, pk])
    form = LineForm(posted(request), instance=get_object_or_404(lines_of_biz, pk=pk), preview_url=preview_url)
    if form.is_valid():
        try:
            with transaction.atomic():
                line_actions.do_save_line(form.instance, list(LineForm.Meta.fields))
        except IntegrityError:
            form.add_error("number", "Another line took this number a moment ago; nothing was saved.")
        else:
            messages.success(request, _saved_line_message(shown, form.instance))
            for warning in form.warnings():
                messages.warning(request, warning)
            return redirect("settings-line", slug, pk)
    values = form.data if form.is_bound else {}
    templates = {name: values.get(name, getattr(shown, name)) for name, _, _ in VARIANT_PREVIEWS}
    previews = line_previews(
        biz, staff_name=values.get("staff_name", shown.staff_name), number=shown.number, templates=templates
    )
    context = {"business": biz, "line": shown, "form": form, "previews": previews, "twilio": shown.provider == TWILIO,
               "editor": editor_samples(biz, shown)}  # fmt: skip
    return render(request, "inbox/settings/line.html", context)


def editor_samples(business, line: Line) -> dict:
    """What the template editor's script needs to render an example as the server does (template-editor.js)."""
    return {
        "values": {"business": business.name, "staff": line.staff_name, "first_name": EXAMPLE_NAME,
                   "line": phone.pretty(line.number), "booking_link": business.booking_link, **EXAMPLE_TIMES},
        "fields": templating.FIELDS,
        "fallbacks": templating.BUILT_IN_FALLBACKS,
        "long_values": templating.LONG_VALUES,
        "max_value": templating.MAX_VALUE,
        "opt_out_line": OPT_OUT_LINE,
        "blank": {name: blank or "write the text a missed caller gets." for name, _, blank in VARIANT_PREVIEWS},
    }  # fmt: skip


def _saved_line_message(before: Line, after: Line) -> str:
    text = f"Saved the line {phone.pretty(after.number)}."
    if after.number != before.number and after.provider == TWILIO:
        text += (
            f" Twilio still sends calls for the new number elsewhere until you run "
            f"`textback line set {after.number} --configure-provider`."
        )
    return text


@login_required
def line_preview(request, slug: str, pk: int):
    """The text-back previews for what is typed in the line's form now (htmx, changes nothing)."""
    biz = business_or_404(request, slug, "manage_lines")
    shown = get_object_or_404(Line, business=biz, pk=pk)
    if refused := post_only(request):
        return refused
    templates = {name: request.POST.get(name, getattr(shown, name)) for name, _, _ in VARIANT_PREVIEWS}
    previews = line_previews(
        biz, staff_name=request.POST.get("staff_name", "")[:60], number=shown.number, templates=templates
    )
    return render(request, "inbox/settings/_previews.html", {"previews": previews})


# --- excluded numbers ------------------------------------------------------------------------------


@login_required
def excluded(request, slug: str):
    biz = business_or_404(request, slug, "exclude_number")
    form = ExclusionForm(posted(request))
    if form.is_valid():
        try:
            number = contacts.check_number(biz, form.cleaned_data["number"])
        except contacts.Invalid as exc:
            form.add_error(exc.field, str(exc))
        else:
            with transaction.atomic():
                entry, created = contacts.do_exclude_number(biz, number, form.cleaned_data["label"])
            shown = phone.pretty(entry.number)
            messages.success(
                request, f"{shown} will not get automatic texts." if created else f"{shown} was excluded already."
            )
            return redirect("settings-excluded", slug)
    entries = ExcludedNumber.objects.filter(business=biz).order_by("number")
    return render(request, "inbox/settings/excluded.html", {"business": biz, "form": form, "entries": entries})


@login_required
def excluded_remove(request, slug: str, pk: int):
    biz = business_or_404(request, slug, "exclude_number")
    entry = get_object_or_404(ExcludedNumber, business=biz, pk=pk)
    if refused := post_only(request):
        return refused
    with transaction.atomic():
        contacts.do_remove_exclusion(entry)
    messages.success(request, f"{phone.pretty(entry.number)} may get automatic texts again.")
    return redirect("settings-excluded", slug)


# --- canned replies --------------------------------------------------------------------------------


def _save_canned(request, biz, form: CannedReplyForm, reply: CannedReply | None) -> bool:
    """Check and save a submitted canned reply; False (messages on the form) when it cannot be."""
    if not form.is_valid():
        return False
    try:
        title, body = contacts.check_canned_reply(
            biz, form.cleaned_data["title"], form.cleaned_data["body"], editing=reply
        )
        with transaction.atomic():
            contacts.do_save_canned_reply(biz, title, body, reply=reply)
    except contacts.Invalid as exc:
        form.add_error(exc.field, str(exc))
        return False
    except IntegrityError:
        form.add_error("title", "A canned reply with this title was added a moment ago; choose another title.")
        return False
    messages.success(request, f"Saved the canned reply “{title}”.")
    if warning := segment_warning(templating.longest(body)):
        messages.warning(request, warning)
    return True


@login_required
def canned(request, slug: str):
    biz = business_or_404(request, slug, "canned_replies")
    form = CannedReplyForm(posted(request))
    if _save_canned(request, biz, form, None):
        return redirect("settings-canned", slug)
    replies = [(r, gsm7.shape(r.body)) for r in CannedReply.objects.filter(business=biz).order_by("title")]
    return render(request, "inbox/settings/canned.html", {"business": biz, "form": form, "replies": replies})


@login_required
def canned_edit(request, slug: str, pk: int):
    biz = business_or_404(request, slug, "canned_replies")
    reply = get_object_or_404(CannedReply, business=biz, pk=pk)
    form = CannedReplyForm(posted(request), initial={"title": reply.title, "body": reply.body})
    if _save_canned(request, biz, form, reply):
        return redirect("settings-canned", slug)
    return render(request, "inbox/settings/canned_edit.html", {"business": biz, "form": form, "reply": reply})


@login_required
def canned_delete(request, slug: str, pk: int):
    biz = business_or_404(request, slug, "canned_replies")
    reply = get_object_or_404(CannedReply, business=biz, pk=pk)
    if refused := post_only(request):
        return refused
    with transaction.atomic():
        contacts.do_delete_canned_reply(reply)
    messages.success(request, f"Deleted the canned reply “{reply.title}”.")
    return redirect("settings-canned", slug)
