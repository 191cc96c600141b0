"""The keyword routes and paging settings from a shell: the options `textback business create|set` takes."""

from textback.ops import cli
from textback.rules import keywords, routes

ROUTE_FLAGS = {keywords.PAGE: "emergency", keywords.BOOK: "book"}


def add_arguments(parser) -> None:
    for action, flag in ROUTE_FLAGS.items():
        parser.add_argument(
            f"--{flag}-words", metavar="LIST",
            help=f"the words of the {flag} route, comma-separated (default: {', '.join(keywords.DEFAULT_WORDS[action])})",
        )  # fmt: skip
        parser.add_argument(f"--{flag}-route", choices=["on", "off"], help=f"switch the {flag} route on or off")
    parser.add_argument(
        "--escalate-page-minutes", type=int, metavar="N",
        help="an emergency page nobody acknowledged in N minutes pages the next person on call (default 5)",
    )  # fmt: skip


def given(options: dict) -> bool:
    names = [f"{flag}_{what}" for flag in ROUTE_FLAGS.values() for what in ("words", "route")]
    return any(options.get(name) is not None for name in [*names, "escalate_page_minutes"])


def apply(business, options: dict) -> list[str]:
    """Save the route and paging options given (inside the caller's transaction); the flags applied."""
    applied = []
    for action, flag in ROUTE_FLAGS.items():
        words, switch = options.get(f"{flag}_words"), options.get(f"{flag}_route")
        if words is None and switch is None:
            continue
        try:
            checked = routes.check_words(words) if words is not None else None
        except routes.Invalid as exc:
            raise cli.fail(f"--{flag}-words: {exc}") from None
        routes.do_set_route(business, action, words=checked, active=None if switch is None else switch == "on")
        applied += [f"--{flag}-words"] * (words is not None) + [f"--{flag}-route"] * (switch is not None)
    minutes = options.get("escalate_page_minutes")
    if minutes is not None:
        try:
            routes.do_set_escalate_minutes(business, routes.check_escalate_minutes(minutes))
        except routes.Invalid as exc:
            raise cli.fail(f"--escalate-page-minutes: {exc}") from None
        applied.append("--escalate-page-minutes")
    return applied
