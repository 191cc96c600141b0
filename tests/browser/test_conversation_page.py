"""The conversation page in a real browser: the demo owner answers a caller from the phone simulator.

The reply box's counter (textback/inbox/static/textback/gsm7.js) is held to textback/lib/gsm7.py on texts
where encodings and segment counts are easy to get wrong. Screenshots of the page land in /tmp/shots-convo/.
A long thread is written straight into the demo's database (textback.testing.a_long_thread, through
`textback shell`), as years of texting would have left it.
"""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.test_phone_simulator import handset, log_in, place_call, text_from_handset
from textback.lib import gsm7
from textback.lib.text import normalise_sms_text
from textback.providers.sandbox import media as sandbox_media

pytestmark = pytest.mark.browser

SLUG = "alphaplumbing"
SHOTS = Path("/tmp/shots-convo")
TRICKY = [
    "€[]{}^~|\\",
    "Hello 😀",
    "a" * 160,
    "a" * 161,
    "a" * 306,
    "a" * 307,
    "a" * 159 + "€",
    "€" * 80,
    "€" * 81,
    "ж" * 70,
    "ж" * 71,
    "ж" * 134,
    "ж" * 135,
    "😀" * 35,
    "😀" * 36,
    "a" * 66 + "😀" + "b" * 10,
    "café ça va",
    "It’s “fine” – really…",
    "zero\u200bwidth and no\u00a0break",
    "👨\u200d👩\u200d👧 family",
    "line one\nline two",
    "  padded  ",
    "",
]


def conversation_url(demo, number: str) -> str:
    [(pk,)] = demo.database.query(
        "SELECT c.id FROM messaging_conversation c JOIN messaging_contact ct ON ct.id = c.contact_id"
        " WHERE ct.number = %s",
        (number,),
    )
    return f"/b/{SLUG}/conversations/{pk}"


def missed_call_and_reply(page, demo, number: str, reply: str, voicemail: int = 0) -> str:
    place_call(page, number, "Nobody answers", voicemail=voicemail)
    expect(handset(page).locator(".bubble.mt").first).to_contain_text("delivered", timeout=5_000)
    text_from_handset(page, reply)
    expect(handset(page).locator(".bubble.mo")).to_contain_text(reply[:20])
    return conversation_url(demo, number)


def close_when_sent(simulator, text: str) -> None:
    """Close the handset page once its Send has landed: Chromium can leave page.close() waiting forever
    on a page closed in the middle of a form's navigation (microsoft/playwright#42366)."""
    expect(handset(simulator).locator(".bubble.mo", has_text=text)).to_have_count(1)
    simulator.wait_for_load_state()
    simulator.close()


def counter(page) -> dict:
    return page.locator("#reply-counter").evaluate(
        "el => ({encoding: el.dataset.encoding, units: +el.dataset.units, segments: +el.dataset.segments,"
        " first: el.dataset.first, chars: +el.dataset.chars})"
    )


def test_the_counter_agrees_with_the_servers_segment_rules(page, demo):
    log_in(page, demo)
    page.goto(missed_call_and_reply(page, demo, "+15125550170", "hi"))
    box = page.locator("#reply-body")

    for text in TRICKY:
        box.fill(text)
        sent = normalise_sms_text(text).strip()  # what the server sends for what was typed
        expected = gsm7.shape(sent)
        shown = counter(page)
        assert (shown["encoding"], shown["units"], shown["segments"]) == (
            expected.encoding,
            expected.units,
            expected.segments,
        ), repr(text)
        assert shown["first"] == (expected.non_gsm[0] if expected.non_gsm else ""), repr(text)
        raw, truth = page.evaluate("t => window.textbackGsm7.shape(t)", text), gsm7.shape(text)
        assert (raw["encoding"], raw["units"], raw["segments"]) == (truth.encoding, truth.units, truth.segments)
        assert tuple(raw["nonGsm"]) == truth.non_gsm, repr(text)


def test_the_counter_names_the_character_that_forces_ucs2_and_warns_when_too_long(page, demo):
    log_in(page, demo)
    page.goto(missed_call_and_reply(page, demo, "+15125550171", "hello"))
    box, shown = page.locator("#reply-body"), page.locator("#reply-counter")

    box.fill("See you at 3 ça va")
    expect(shown).to_have_text("18 characters · UCS-2 because of “ç” · 1 segment")
    box.fill("x" * 1601)
    expect(shown).to_contain_text("1601 characters · GSM-7 · 11 segments — 1 too many; a text can be at most 1600")


def test_a_canned_reply_goes_into_the_reply_box_with_its_merge_fields_filled_in(page, demo):
    log_in(page, demo)
    page.goto(missed_call_and_reply(page, demo, "+15125550177", "Hi, are you there?"))
    box = page.get_by_label(re.compile("Reply to"))
    box.fill("Hello!")

    page.get_by_label("Canned reply").select_option(label="On our way")
    page.get_by_role("button", name="Insert").click()

    expect(box).to_have_value(
        "Hello! Hi there, this is Mike at AlphaPlumbing. A plumber is on the way; we'll text you when we're 15 "
        "minutes out."
    )
    expect(page.locator("#reply-counter")).to_contain_text("GSM-7 · 1 segment")


def test_the_owner_answers_a_missed_caller_and_records_the_outcome(page, demo):
    log_in(page, demo)
    number = "+15125550172"
    url = missed_call_and_reply(page, demo, number, "My basement drain is slow, can you come today?", voicemail=6)

    page.goto(url)
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("Missed call")
    expect(timeline).to_contain_text("Voicemail, 6 s")
    expect(timeline).to_contain_text("Text-back sent")
    expect(timeline).to_contain_text("My basement drain is slow")
    duration = page.locator("#timeline audio").first.evaluate(
        "a => new Promise(ok => { a.preload = 'metadata'; a.onloadedmetadata = () => ok(a.duration); a.load(); })"
    )
    assert round(duration) == 6  # the voicemail plays, through our own recording view

    box = page.get_by_label(re.compile("Reply to"))
    box.fill("We can be there by 3. Does that work?")
    expect(page.locator("#reply-counter")).to_have_text("37 characters · GSM-7 · 1 segment")
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".flash")).to_contain_text("queued")
    reply = timeline.locator(".msg.staff", has_text="We can be there by 3")
    expect(reply).to_contain_text("Mike")
    expect(reply.locator(".status")).to_have_text("Delivered", timeout=5_000)  # through the live refresh

    page.goto(f"/sandbox/{SLUG}/?handset={number.replace('+', '%2B')}")
    on_handset = handset(page).locator(".bubble.mt", has_text="We can be there by 3")
    expect(on_handset).to_contain_text("delivered", timeout=5_000)

    page.goto(url)
    page.get_by_label(re.compile("Internal note")).fill("Gate code 4411, dog in the yard")
    page.get_by_role("button", name="Add note").click()
    expect(timeline.locator(".note")).to_contain_text("Gate code 4411")
    expect(timeline.locator(".note")).to_contain_text("internal, never texted")

    page.get_by_label("Who answers this caller").select_option(label="Mike (owner)")
    page.get_by_role("button", name="Assign").click()
    expect(page.locator(".flash")).to_have_text("Assigned to Mike.")
    expect(page.locator(".convo-head")).to_contain_text("Mike")

    page.get_by_role("radio", name="Booked").check()
    page.get_by_label(re.compile("Job value")).fill("350")
    page.get_by_role("button", name="Set outcome").click()
    expect(page.locator(".flash")).to_have_text("Outcome set: Booked, $350.00.")
    expect(page.locator(".convo-head")).to_contain_text("Booked, $350.00")
    expect(timeline).to_contain_text("set the outcome: Booked ($350.00)")


def test_the_timeline_refreshes_within_two_seconds_and_keeps_the_draft(page, demo, browser):
    log_in(page, demo)
    number = "+15125550173"
    url = missed_call_and_reply(page, demo, number, "Are you open on Sunday?")
    page.goto(url)
    page.get_by_label(re.compile("Reply to")).fill("Half-typed answer")

    simulator = page.context.new_page()
    simulator.goto(f"/sandbox/{SLUG}/?handset={number.replace('+', '%2B')}")
    text_from_handset(simulator, "Also, do you do water heaters?")
    close_when_sent(simulator, "Also, do you do water heaters?")

    expect(page.locator("#timeline")).to_contain_text("do you do water heaters", timeout=3_000)
    expect(page.get_by_label(re.compile("Reply to"))).to_have_value("Half-typed answer")


def test_a_colleague_typing_shows_on_the_page(page, demo, browser):
    demo.cli(
        "user", "add", "--business", SLUG, "--email", "mary@alphaplumbing.example", "--role", "manager", "--name", "Mary Jones",
        "--password-stdin", stdin="mary-long-passphrase\n", check=False,
    )  # fmt: skip
    log_in(page, demo)
    url = missed_call_and_reply(page, demo, "+15125550174", "Hello?")
    page.goto(url)

    mary = browser.new_context(base_url=demo.url).new_page()
    mary.goto("/login")
    mary.get_by_label("Email or username").fill("mary@alphaplumbing.example")
    mary.get_by_label("Password").fill("mary-long-passphrase")
    mary.get_by_role("button", name="Log in").click()
    mary.goto(url)
    mary.get_by_label(re.compile("Reply to")).press_sequentially("On it", delay=50)

    expect(page.locator("#presence")).to_contain_text("Mary Jones is typing…", timeout=5_000)
    mary.context.close()


def test_an_opted_out_contact_cannot_be_texted(page, demo):
    log_in(page, demo)
    url = missed_call_and_reply(page, demo, "+15125550175", "STOP")
    expect(handset(page)).to_contain_text("You are unsubscribed", timeout=5_000)

    page.goto(url)

    expect(page.locator("#no-reply")).to_contain_text("opted out")
    expect(page.locator("#reply-body")).to_have_count(0)
    expect(page.locator("#timeline")).to_contain_text("Opt-out received (STOP)")


def test_screenshots_of_a_long_conversation(page, demo):
    log_in(page, demo)
    number = "+15125550176"
    url = missed_call_and_reply(page, demo, number, "Water is coming through the ceiling!", voicemail=14)
    for n, text in enumerate(["Here is a photo", "It is getting worse", "Are you coming?"]):
        text_from_handset(page, text)
        expect(handset(page).locator(".bubble.mo", has_text=text)).to_have_count(1)
        if n == 0:  # the sandbox's sample picture, as an MMS would carry it
            demo.database.execute(
                "UPDATE messaging_message SET media = %s WHERE body = %s",
                (f'[{{"url": "{sandbox_media.picture_url()}", "content_type": "image/png"}}]', text),
            )
    page.goto(url)
    for text in ["We are on our way, about 20 minutes.", "Turn off the main water valve if you can find it."]:
        page.get_by_label(re.compile("Reply to")).fill(text)
        page.get_by_role("button", name="Send").click()
        expect(page.locator(".flash")).to_contain_text("queued")
    page.get_by_label(re.compile("Internal note")).fill("Second floor bathroom; tenant, not owner. Bill the landlord.")
    page.get_by_role("button", name="Add note").click()
    expect(page.locator("#timeline .note")).to_have_count(1)
    expect(page.locator("#timeline .msg.staff .status").last).to_have_text("Delivered", timeout=5_000)
    expect(page.locator("#timeline img")).to_have_count(1)

    SHOTS.mkdir(exist_ok=True)
    for width in (375, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(url)
        page.locator("#timeline img").evaluate("img => img.complete || new Promise(ok => img.onload = ok)")
        assert page.locator("#timeline img").evaluate("img => img.naturalWidth") == 320
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"the page is {overflow}px wider than a {width}px screen"
        page.screenshot(path=str(SHOTS / f"conversation-{width}.png"), full_page=True)
        height = page.evaluate("document.documentElement.scrollHeight")
        for n, top in enumerate(range(0, height, 900)):  # screen-sized pieces, to look at closely
            clip = {"x": 0, "y": top, "width": width, "height": min(900, height - top)}
            page.screenshot(path=str(SHOTS / f"conversation-{width}-part{n + 1}.png"), full_page=True, clip=clip)
        page.locator("#timeline-box").evaluate("box => { box.scrollTop = 0; }")  # where the call and voicemail are
        page.screenshot(path=str(SHOTS / f"conversation-{width}-oldest.png"))


# --- a long thread --------------------------------------------------------------------------------------


def years_of_history(demo, url: str, entries: int) -> None:
    """`entries` older entries in the conversation at `url`: texts, calls, notes and HELPs, a minute apart."""
    code = (
        "from textback.accounts.models import Membership; from textback.messaging.models import Conversation; "
        "from textback.testing import a_long_thread; "
        f"c = Conversation.objects.get(pk={url.rsplit('/', 1)[1]}); "
        f"a_long_thread(c, {entries}, staff=Membership.objects.filter(business=c.business).first().user)"
    )
    demo.cli("shell", "-c", code)


def shown(page) -> dict:
    """The timeline's entries as the page shows them: their ids, and whether their times run oldest first."""
    return page.evaluate(
        """() => {
            const entries = Array.from(document.querySelectorAll("#timeline-box .entry"));
            const times = entries.map(e => Date.parse(e.querySelector("time").getAttribute("datetime")));
            return {ids: entries.map(e => e.id), ordered: times.every((t, n) => n === 0 || times[n - 1] <= t)};
        }"""
    )


def test_earlier_entries_load_above_in_place_keeping_the_draft_and_the_live_refresh(page, demo):
    log_in(page, demo)
    number = "+15125550178"
    url = missed_call_and_reply(page, demo, number, "Do you remember me?")
    years_of_history(demo, url, 180)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(url)
    entries, earlier = page.locator("#timeline-box .entry"), page.get_by_role("link", name="Earlier entries")
    expect(entries).to_have_count(50)
    draft = page.get_by_label(re.compile("Reply to"))
    draft.fill("Half-typed answer")

    page.locator("#timeline-box").evaluate("box => { box.scrollTop = 0; }")  # up to the control
    oldest_shown = page.locator("#timeline .entry").first
    was_at = oldest_shown.bounding_box()["y"]
    earlier.click()

    expect(entries).to_have_count(100)
    assert abs(oldest_shown.bounding_box()["y"] - was_at) < 2  # what was on screen stays where it was
    assert page.url == demo.url + url  # in place, not a new page
    expect(draft).to_have_value("Half-typed answer")
    assert shown(page)["ordered"]

    simulator = page.context.new_page()
    simulator.goto(f"/sandbox/{SLUG}/?handset={number.replace('+', '%2B')}")
    text_from_handset(simulator, "Still there?")
    close_when_sent(simulator, "Still there?")
    expect(page.locator("#timeline")).to_contain_text("Still there?", timeout=4_000)  # the live refresh
    expect(entries).to_have_count(101)  # and the 50 loaded above are still there
    expect(draft).to_have_value("Half-typed answer")

    while earlier.count():
        earlier.click()
        expect(page.locator(".earlier-link.htmx-request")).to_have_count(0)
    expect(page.locator(".earlier-control.start")).to_have_text("The conversation starts here.")
    expect(page.locator("#timeline-box")).to_contain_text("text 0")
    after = shown(page)
    assert after["ordered"] and len(after["ids"]) == len(set(after["ids"])) > 180
    expect(draft).to_have_value("Half-typed answer")


def test_screenshots_of_a_long_conversation_with_its_earlier_control(page, demo):
    log_in(page, demo)
    url = missed_call_and_reply(page, demo, "+15125550179", "Hi, it's Dana again, the sink is back")
    years_of_history(demo, url, 400)
    SHOTS.mkdir(exist_ok=True)
    for width in (375, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(url)
        control = page.get_by_role("link", name="Earlier entries")
        control.scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / f"long-conversation-{width}.png"))
        oldest_shown = page.locator("#timeline .entry").first
        was_at = oldest_shown.bounding_box()["y"]

        control.click()

        expect(page.locator("#timeline-box .entry")).to_have_count(100)
        assert abs(oldest_shown.bounding_box()["y"] - was_at) < 2, width  # the page, or the box, kept its place
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"the page is {overflow}px wider than a {width}px screen"
        control.scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / f"long-conversation-{width}-earlier.png"))

        page.goto(control.get_attribute("href"))  # where the link leads without script: those 50 alone
        expect(page.locator("#timeline-box .entry")).to_have_count(50)
        expect(page.get_by_role("link", name="Back to the newest entries")).to_be_visible()
        page.screenshot(path=str(SHOTS / f"long-conversation-{width}-page-of-earlier.png"), full_page=True)


def test_a_broken_earlier_link_says_so_in_place_of_the_control(page, demo):
    log_in(page, demo)
    url = missed_call_and_reply(page, demo, "+15125550180", "Hello again")
    years_of_history(demo, url, 60)
    page.goto(url)
    page.get_by_label(re.compile("Reply to")).fill("Draft")
    control = page.get_by_role("link", name="Earlier entries")
    control.evaluate(  # as a link cut short would be
        "a => { a.setAttribute('hx-get', a.getAttribute('hx-get').replace(/before=.*/, 'before=mangled'));"
        " htmx.process(a); }"
    )

    control.click()

    expect(page.get_by_role("alert")).to_contain_text("That link to earlier entries is broken.")
    expect(page.locator("#timeline-box .entry")).to_have_count(50)
    expect(page.get_by_label(re.compile("Reply to"))).to_have_value("Draft")
