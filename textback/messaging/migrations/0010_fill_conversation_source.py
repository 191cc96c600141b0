"""Fill the source tag of the conversations made before it was recorded (migration 0008), in batches.

- MCT-Inbound (missed_call): the thread has a text-back or follow-up, or the contact called that line;
- SMS-Inbound (inbound_sms): otherwise, when its first message came from the caller;
- Staff-Outbound (staff): the rest.

Each batch is three UPDATEs over a range of ids, so a large table is never locked or read whole at once.
"""

from django.db import migrations
from django.db.models import Exists, OuterRef, Subquery

BATCH = 2000


def fill(apps, schema_editor):
    Conversation = apps.get_model("messaging", "Conversation")
    Message = apps.get_model("messaging", "Message")
    Call = apps.get_model("calls", "Call")
    unset = Conversation.objects.filter(source="")
    automatic = Message.objects.filter(conversation_id=OuterRef("pk"), purpose__in=("textback", "followup"))
    called = Call.objects.filter(line_id=OuterRef("line_id"), contact_id=OuterRef("contact_id"))
    first = Message.objects.filter(conversation_id=OuterRef("pk")).order_by("created_at", "pk").values("direction")[:1]
    low = 0
    while True:
        ids = list(unset.filter(pk__gt=low).order_by("pk").values_list("pk", flat=True)[:BATCH])
        if not ids:
            return
        batch = unset.filter(pk__gte=ids[0], pk__lte=ids[-1])
        batch.filter(Exists(automatic) | Exists(called)).update(source="missed_call")
        batch.annotate(first_direction=Subquery(first)).filter(first_direction="in").update(source="inbound_sms")
        batch.update(source="staff")
        low = ids[-1]


class Migration(migrations.Migration):
    dependencies = [
        ("calls", "0002_initial"),
        ("messaging", "0009_message_business_time"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop, elidable=True)]
