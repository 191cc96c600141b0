"""The calls other apps make into the rules, each one line where the event happens.

They import the rules modules when first called, so messaging can call them without an import cycle
(the rules are built on messaging and alerts).
"""


def on_caller_reply(message) -> None:
    """A caller's real reply (not STOP/START/HELP) was recorded and staff alerted: take its keyword route."""
    from textback.rules import routes

    routes.on_caller_reply(message)


def ack_by_text(text) -> tuple[bool, str] | None:
    """A verified staff phone texted the line: None when it is no ACK, else (whether it took a page, what to
    text back)."""
    from textback.rules import paging

    return paging.ack_by_text(text)


def banner(conversation_id: int) -> str:
    """The conversation page's line about an emergency nobody has acknowledged ('' when none)."""
    from textback.rules import paging

    return paging.banner(conversation_id)


def on_contact_erased(business, conversation_ids: list[int]) -> None:
    """A contact's data is being erased: their emergency pages stop (inside the erasure's transaction)."""
    from textback.rules import paging

    paging.stop_for_erasure(business, conversation_ids)


def forget_quoted_words(events) -> int:
    """Drop the caller's words the rules' timeline events quote (erasure, retention). Returns how many."""
    from textback.rules import paging

    return paging.forget_quoted_words(events)
