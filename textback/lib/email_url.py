"""TEXTBACK_EMAIL_URL: one URL for the SMTP server textback sends through.

    smtp://user:pass@host:25              plain SMTP (a relay on a private network)
    smtp+starttls://user:pass@host:587    STARTTLS, the usual submission port
    smtps://user:pass@host:465            TLS from the first byte

User and password are percent-decoded (an @ in a password is written %40). Unset, mail goes to the
sandbox mailbox (textback/providers/sandbox/mail.py) instead of leaving the machine.
"""

from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from textback.lib.env import SettingError

SCHEMES = {"smtp": (False, False, 25), "smtp+starttls": (True, False, 587), "smtps": (False, True, 465)}


@dataclass(frozen=True)
class EmailServer:
    host: str
    port: int
    user: str
    password: str
    use_tls: bool  # STARTTLS
    use_ssl: bool  # implicit TLS


def parse(url: str) -> EmailServer:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise SettingError(f"TEXTBACK_EMAIL_URL is not a valid URL ({exc})") from None
    if parts.scheme not in SCHEMES:
        raise SettingError(
            f"TEXTBACK_EMAIL_URL must start with smtp://, smtp+starttls:// or smtps://, not {parts.scheme or '(none)'}://"
        )
    if not parts.hostname:
        raise SettingError("TEXTBACK_EMAIL_URL names no server, e.g. smtp+starttls://user:pass@smtp.example.com:587")
    use_tls, use_ssl, default_port = SCHEMES[parts.scheme]
    return EmailServer(
        host=parts.hostname,
        port=port or default_port,
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        use_tls=use_tls,
        use_ssl=use_ssl,
    )
