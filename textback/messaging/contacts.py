"""What staff change about a contact, the numbers a business never texts automatically, and canned replies.

`check_*` validate and say what is wrong in words for the person (`Refused`, nothing written);
`do_*` write, inside the caller's transaction.
"""

from django.db.models import Q
from django.utils import timezone

from textback.lib import phone
from textback.messaging import actions
from textback.messaging.conversations import Refused
from textback.messaging.models import CannedReply, Contact, Conversation, ConversationEvent, ExcludedNumber, Message
from textback.messaging.templating import TemplateError, check_template

MAX_TAGS, MAX_TAG = 20, 30
MAX_CANNED = 1600


class Invalid(Refused):
    """Refused because of one field, so a page can show the message next to it."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def check_tags(text: str) -> list[str]:
    """Comma-separated tags, trimmed, with repeats (ignoring letter case) dropped, in the order typed."""
    tags: dict[str, str] = {}
    for raw in text.split(","):
        tag = " ".join(raw.split())
        if not tag:
            continue
        if len(tag) > MAX_TAG:
            raise Invalid("tags", f"“{tag[:MAX_TAG]}…” is longer than {MAX_TAG} characters; keep tags short.")
        tags.setdefault(tag.casefold(), tag)
    if len(tags) > MAX_TAGS:
        raise Invalid("tags", f"That is {len(tags)} tags; a contact can have at most {MAX_TAGS}.")
    return list(tags.values())


def do_update_contact(contact: Contact, *, name: str, owner, tags: list[str], actor) -> list[str]:
    """Set the contact's name, owner and tags; save and return the fields that changed.

    A new name is an event in each of the contact's conversations: their timelines say who named the
    caller, and open inbox lists pick the name up at their next poll (the event changes their ETag)."""
    values = {"name": name, "owner": owner, "tags": tags}
    changed = [field for field, value in values.items() if getattr(contact, field) != value]
    for field in changed:
        setattr(contact, field, values[field])
    if changed:
        contact.save(update_fields=changed)
    if "name" in changed:
        now = timezone.now()
        ConversationEvent.objects.bulk_create(
            ConversationEvent(
                business_id=contact.business_id,
                conversation_id=pk,
                kind=ConversationEvent.CONTACT_NAMED,
                actor=actor,
                body=name,
                at=now,
            )  # fmt: skip
            for pk in Conversation.objects.filter(contact=contact).values_list("pk", flat=True)
        )
    return changed


def check_number(business, raw: str) -> str:
    """A number typed in any common format, as E.164, read in the business's country."""
    try:
        return phone.to_e164(raw, business.country)
    except phone.InvalidNumber:
        shown = " ".join(raw.split())[:40]
        raise Invalid(
            "number",
            f"“{shown}” is not a phone number. Type it as (512) 555-0147 or with its country code, +15125550147."
            if shown
            else "Type a phone number, such as (512) 555-0147.",
        ) from None


def do_exclude_number(business, number: str, label: str) -> tuple[ExcludedNumber, bool]:
    """Keep an E.164 number from ever getting an automatic text; (the entry, whether it is new).
    An entry that exists keeps its place and takes the new label when one is given."""
    entry, created = ExcludedNumber.objects.get_or_create(business=business, number=number, defaults={"label": label})
    cancel_for_excluded(business, number)
    if not created and label and entry.label != label:
        entry.label = label
        entry.save(update_fields=["label"])
    return entry, created


def cancel_for_excluded(business, number: str) -> int:
    """An excluded number gets no more automatic texts: pending ones (a follow-up) are canceled now."""
    contact = Contact.objects.filter(business=business, number=number).first()
    if contact is None:
        return 0
    return actions.cancel_pending(business, contact, purposes=Message.AUTOMATIC, why="the number was excluded")


def do_remove_exclusion(entry: ExcludedNumber) -> None:
    entry.delete()


def exclusion_for(business, number: str) -> ExcludedNumber | None:
    return ExcludedNumber.objects.filter(business=business, number=number).first()


def check_canned_reply(business, title: str, body: str, *, editing: CannedReply | None = None) -> tuple[str, str]:
    """A canned reply's title and body as they will be saved, or Refused saying what to fix."""
    title, body = " ".join(title.split()), body.strip()
    if not title:
        raise Invalid("title", "Give the reply a title, e.g. “Running late”.")
    if len(title) > 60:
        raise Invalid("title", "Keep the title to 60 characters or fewer.")
    taken = CannedReply.objects.filter(Q(business=business) & Q(title__iexact=title))
    if editing is not None:
        taken = taken.exclude(pk=editing.pk)
    if taken.exists():
        raise Invalid("title", f"There is a canned reply titled “{title}” already; choose another title.")
    if not body:
        raise Invalid("body", "Write the reply’s text.")
    if len(body) > MAX_CANNED:
        raise Invalid("body", f"The text is {len(body)} characters; a text message can be at most {MAX_CANNED}.")
    try:
        check_template(body)
    except TemplateError as exc:
        raise Invalid("body", f"The text cannot be used: {exc}.") from None
    return title, body


def do_save_canned_reply(business, title: str, body: str, *, reply: CannedReply | None = None) -> CannedReply:
    if reply is None:
        return CannedReply.objects.create(business=business, title=title, body=body)
    reply.title, reply.body = title, body
    reply.save(update_fields=["title", "body"])
    return reply


def do_delete_canned_reply(reply: CannedReply) -> None:
    reply.delete()
