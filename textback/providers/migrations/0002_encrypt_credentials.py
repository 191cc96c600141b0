"""Provider credentials encrypted at rest: auth tokens move from a plain column into a Fernet-encrypted one.

Reversible: going back decrypts the tokens into the plain column again (it needs a key that opens them)
and drops the encrypted columns, webhook keys with them (the code before this migration has no use for one).
"""

from django.conf import settings
from django.db import migrations, models

from textback.lib.encryption import KeyRing, Undecryptable, ring_keys


def encrypt_plain_tokens(apps, schema_editor):
    ring = KeyRing(ring_keys(settings.ENCRYPTION_KEYS, settings.SECRET_KEY))
    accounts = apps.get_model("providers", "ProviderAccount").objects.using(schema_editor.connection.alias)
    for pk, token in accounts.exclude(auth_token="").values_list("pk", "auth_token"):
        accounts.filter(pk=pk).update(auth_token_encrypted=ring.encrypt(token))


def decrypt_into_plain_tokens(apps, schema_editor):
    ring = KeyRing(ring_keys(settings.ENCRYPTION_KEYS, settings.SECRET_KEY))
    accounts = apps.get_model("providers", "ProviderAccount").objects.using(schema_editor.connection.alias)
    for pk, token in accounts.exclude(auth_token_encrypted="").values_list("pk", "auth_token_encrypted"):
        try:
            plain = ring.decrypt(token)
        except Undecryptable:
            raise RuntimeError(
                f"cannot go back: the auth token of provider account {pk} cannot be decrypted with the configured "
                "keys; set TEXTBACK_ENCRYPTION_KEY to include the key it was encrypted with (nothing was changed)"
            ) from None
        accounts.filter(pk=pk).update(auth_token=plain)


class Migration(migrations.Migration):
    dependencies = [
        ("providers", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="provideraccount",
            name="auth_token_encrypted",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        migrations.AddField(
            model_name="provideraccount",
            name="webhook_key_encrypted",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        migrations.RunPython(encrypt_plain_tokens, decrypt_into_plain_tokens),
        migrations.RemoveField(
            model_name="provideraccount",
            name="auth_token",
        ),
    ]
