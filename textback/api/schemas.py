"""What /api/v1 answers with: the JSON shapes of its objects (the OpenAPI document is made from these).

Never secrets: no provider credentials, no recording URLs (they carry the account SID), no token hashes."""

from datetime import datetime

from ninja import Field, Schema


class Error(Schema):
    detail: str = Field(description="What went wrong, in words.")


class Contact(Schema):
    id: int
    number: str = Field(description="E.164 when it is a phone number.")
    name: str
    tags: list[str]
    owner_id: int | None = Field(description="The staff member the contact is assigned to.")
    is_landline: bool
    created_at: datetime


class Call(Schema):
    id: int
    line_id: int
    line_number: str
    contact_id: int | None
    from_number: str
    to_number: str
    caller_name: str
    state: str
    outcome: str | None = Field(
        description="answered, no_answer, busy, failed, caller_hung_up, screened_out or voicemail; null while ringing."
    )
    voicemail: bool
    voicemail_seconds: int | None
    started_at: datetime
    ended_at: datetime | None
    decision: str = Field(description="text or skip once decided; empty before.")
    decision_reason: str

    @staticmethod
    def resolve_line_number(obj) -> str:
        return obj.line.number


class Message(Schema):
    id: int
    direction: str = Field(description="in or out.")
    body: str
    media: list[dict]
    status: str
    encoding: str
    segments: int
    purpose: str = Field(description="textback, followup, reply, opt_out_confirmation, opt_in_confirmation, help, …")
    sender_kind: str = Field(description="contact, system, staff or automation.")
    sent_by_id: int | None
    error_code: str
    created_at: datetime
    sent_at: datetime | None
    status_at: datetime


class Conversation(Schema):
    id: int
    line_id: int
    line_number: str
    contact: Contact
    status: str
    source: str = Field(description="missed_call, inbound_sms, staff or api: how the thread began.")
    outcome: str = Field(description="booked, no_show, lost, spam, or empty.")
    outcome_value: str | None = Field(description='A booked job\'s value, as a decimal string, e.g. "350.00".')
    lost_reason: str
    outcome_at: datetime | None
    assignee_id: int | None
    last_message_at: datetime | None
    last_inbound_at: datetime | None
    awaiting_since: datetime | None = Field(description="The caller's oldest unanswered message (the SLA clock).")
    created_at: datetime
    closed_at: datetime | None

    @staticmethod
    def resolve_line_number(obj) -> str:
        return obj.line.number

    @staticmethod
    def resolve_outcome_value(obj) -> str | None:
        return None if obj.outcome_value is None else f"{obj.outcome_value:.2f}"


class ConversationWithMessages(Conversation):
    messages: list[Message] = Field(description="Oldest first; at most the newest 500.")
    more_messages: bool = Field(description="True when older messages were left out.")

    @staticmethod
    def resolve_messages(obj) -> list:
        return obj.messages_shown  # reads.with_messages: the newest, oldest first


class CallPage(Schema):
    items: list[Call]
    next_cursor: str | None


class ConversationPage(Schema):
    items: list[Conversation]
    next_cursor: str | None


class ContactPage(Schema):
    items: list[Contact]
    next_cursor: str | None


class MessageIn(Schema):
    body: str = Field(description="The text to send, at most 1,600 characters.")


class OutcomeIn(Schema):
    outcome: str = Field(description="booked, no_show, lost, spam, or empty to clear it.")
    value: str | None = Field(None, description='A booked job\'s value, e.g. "350.00".')
    lost_reason: str = Field("", description="Why the job was lost (required for lost).")


class Speed(Schema):
    count: int
    p50: int | None = Field(description="Median, in whole seconds.")
    p90: int | None


class Figures(Schema):
    calls: int
    answered: int
    missed: dict[str, int]
    missed_total: int
    measured_calls: int
    measured_missed: int
    texted: int
    skipped: dict[str, int]
    delivered: int
    failed: int
    replied: int
    booked: int
    revenue: str = Field(description="Sum of booked job values, a decimal string.")
    unanswered: int
    breaches: int
    segments_out: int
    segments_in: int
    heat: dict[str, int] = Field(description="Missed calls by local hour (0-23).")
    miss_rate: float | None
    miss_rate_note: str | None
    recovery_rate: float | None
    booking_rate: float | None
    textback_seconds: Speed
    answer_seconds: Speed
    answer_seconds_open: Speed


class Day(Figures):
    date: str


class Cost(Schema):
    software: str
    sms: str
    numbers: str
    calls: str
    total: str


class Metrics(Figures):
    cost: Cost = Field(
        description="What the period cost, as the report counts it (Settings → Costs): software per month × days ÷ 30, "
        "(segments sent + received) × price per segment, each number's monthly price × days ÷ 30, price per call × "
        "calls; decimal strings."
    )
    roi: str | None = Field(description="Revenue ÷ cost to one decimal; null when nothing was spent.")
    business: str
    time_zone: str
    period: dict
    line_id: int | None
    breach_list: list[dict]
    daily: list[Day] | None = None
