"""The inbox's source and outcome filters read their page through an index each (a rare tag is a range,
not a scan of the business's conversations)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0010_fill_conversation_source"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="conversation",
            index=models.Index(
                fields=["business", "source", "-last_message_at", "-id"], name="conversation_source_latest"
            ),
        ),
        migrations.AddIndex(
            model_name="conversation",
            index=models.Index(
                fields=["business", "outcome", "-last_message_at", "-id"], name="conversation_outcome_latest"
            ),
        ),
    ]
