"""What an owner changes about the business's lines from the settings pages.

The rules are the model's (`Line.clean()` and the field validators), checked by the page's form
before these run, so the page, the CLI and the admin refuse the same things.
"""

from textback.providers.models import SANDBOX, Line, ProviderAccount


def do_save_line(line: Line, changed: list[str]) -> None:
    """Save the fields of a validated line that the owner changed."""
    if changed:
        line.save(update_fields=changed)


def sandbox_account(business) -> ProviderAccount:
    """The business's account on the simulated carrier, made on first use."""
    account = ProviderAccount.objects.filter(business=business, provider=SANDBOX).order_by("pk").first()
    return account or ProviderAccount.objects.create(business=business, provider=SANDBOX, label="sandbox")


def do_add_sandbox_line(business, *, number: str, label: str, forward_to: list[str]) -> Line:
    """A line on the simulated carrier: it rings the given phones and screens, or, with none, treats every
    call as missed (carrier forwarding)."""
    line = Line(
        business=business,
        account=sandbox_account(business),
        number=number,
        label=label,
        forward_to=forward_to,
        call_mode=Line.FORWARD_SCREEN if forward_to else Line.CARRIER_FORWARD,
        keyword_replies=Line.OURS,
    )
    line.full_clean()
    line.save()
    return line
