"""The client's address behind trusted proxies: X-Forwarded-For read from the right."""

import pytest

from textback.lib.client_ip import (
    UNKNOWN,
    InvalidNetwork,
    client_address,
    parse_address,
    parse_networks,
    throttle_scope,
)

PROXY = "10.0.0.5"
TRUSTED = parse_networks(["10.0.0.0/24", "fd00::/8", "192.0.2.1"])


def test_without_trusted_proxies_the_header_is_ignored():
    assert client_address("203.0.113.7", "198.51.100.1", ()) == "203.0.113.7"


def test_a_request_not_from_a_trusted_proxy_cannot_choose_its_address():
    assert client_address("203.0.113.7", "198.51.100.1", TRUSTED) == "203.0.113.7"


def test_behind_a_trusted_proxy_the_client_is_the_hop_it_saw():
    assert client_address(PROXY, "198.51.100.1", TRUSTED) == "198.51.100.1"


def test_spoofed_left_most_entries_are_ignored():
    """The client sent "X-Forwarded-For: 1.1.1.1, 8.8.8.8"; our proxy appended what it really saw."""
    assert client_address(PROXY, "1.1.1.1, 8.8.8.8, 198.51.100.1", TRUSTED) == "198.51.100.1"


def test_every_trusted_hop_is_skipped_from_the_right():
    assert client_address(PROXY, "1.1.1.1, 198.51.100.1, 192.0.2.1, 10.0.0.9", TRUSTED) == "198.51.100.1"


def test_when_every_hop_is_trusted_the_left_most_one_is_the_client():
    assert client_address(PROXY, "10.0.0.7, 10.0.0.8", TRUSTED) == "10.0.0.7"


def test_a_trusted_proxy_without_the_header_is_the_client():
    assert client_address(PROXY, None, TRUSTED) == PROXY
    assert client_address(PROXY, " , ", TRUSTED) == PROXY


@pytest.mark.parametrize("garbage", ["garbage", "unknown", "1.2.3.4.5", "999.1.1.1", "<script>", "\x00", "_hidden"])
def test_a_garbage_hop_stops_the_walk_at_the_last_trusted_address(garbage):
    assert client_address(PROXY, f"198.51.100.1, {garbage}", TRUSTED) == PROXY
    assert client_address(PROXY, f"198.51.100.1, {garbage}, 10.0.0.9", TRUSTED) == "10.0.0.9"


def test_a_garbage_hop_left_of_the_client_does_not_matter():
    assert client_address(PROXY, "garbage, 198.51.100.1", TRUSTED) == "198.51.100.1"


def test_ipv6_clients_and_proxies():
    assert client_address("fd00::1", "2001:db8::7", TRUSTED) == "2001:db8::7"
    assert client_address("fd00::1", "2001:DB8:0:0::7, fd12::3", TRUSTED) == "2001:db8::7"
    assert client_address("2001:db8::9", "198.51.100.1", TRUSTED) == "2001:db8::9"


def test_an_ipv4_proxy_network_does_not_trust_ipv6_addresses_and_back():
    assert client_address("::ffff:10.0.0.5", "198.51.100.1", TRUSTED) == "198.51.100.1"  # the same host as 10.0.0.5
    assert client_address("::a00:5", "198.51.100.1", TRUSTED) == "::a00:5"


@pytest.mark.parametrize(
    "written, address",
    [
        ("198.51.100.1", "198.51.100.1"),
        (" 198.51.100.1 ", "198.51.100.1"),
        ("198.51.100.1:5678", "198.51.100.1"),
        ("[2001:db8::1]:443", "2001:db8::1"),
        ("[2001:db8::1]", "2001:db8::1"),
        ("2001:db8::1", "2001:db8::1"),
        ("::ffff:198.51.100.1", "198.51.100.1"),
    ],
)
def test_addresses_are_read_as_proxies_write_them(written, address):
    assert str(parse_address(written)) == address


@pytest.mark.parametrize("remote_addr", ["", "garbage", "unix:/run/textback.sock"])
def test_an_unreadable_remote_address_is_unknown(remote_addr):
    assert client_address(remote_addr, "198.51.100.1", TRUSTED) == UNKNOWN


def test_trusted_proxies_accept_addresses_and_networks():
    assert [str(n) for n in parse_networks(["10.0.0.5", " 10.1.0.0/16", "::1", "fd00::/8", "10.2.3.4/8"])] == [
        "10.0.0.5/32",
        "10.1.0.0/16",
        "::1/128",
        "fd00::/8",
        "10.0.0.0/8",
    ]


@pytest.mark.parametrize("entry", ["proxy.internal", "10.0.0.0/33", "10.0.0", ""])
def test_a_trusted_proxy_entry_that_is_not_an_address_is_refused_with_its_value(entry):
    with pytest.raises(InvalidNetwork, match=repr(entry)):
        parse_networks([entry])


def test_the_throttle_counts_an_ipv4_address_alone_and_an_ipv6_client_by_its_slash_64():
    assert throttle_scope("198.51.100.1") == "198.51.100.1"
    assert throttle_scope("2001:db8:1:2::7") == throttle_scope("2001:db8:1:2:ffff::1") == "2001:db8:1:2::/64"
    assert throttle_scope("2001:db8:1:3::7") != throttle_scope("2001:db8:1:2::7")
    assert throttle_scope(UNKNOWN) == UNKNOWN


def test_the_setting_reads_a_comma_separated_list(monkeypatch):
    from textback import settings

    monkeypatch.setenv("TEXTBACK_TRUSTED_PROXIES", "10.0.0.0/8, ::1")

    assert [str(n) for n in settings._trusted_proxies()] == ["10.0.0.0/8", "::1/128"]


def test_a_bad_setting_names_the_variable_and_the_entry(monkeypatch):
    from textback import settings
    from textback.lib.env import SettingError

    monkeypatch.setenv("TEXTBACK_TRUSTED_PROXIES", "10.0.0.0/8, proxy.internal")

    with pytest.raises(SettingError, match=r"TEXTBACK_TRUSTED_PROXIES: 'proxy.internal' is not an IP address"):
        settings._trusted_proxies()


def test_by_default_no_proxy_is_trusted(monkeypatch):
    from textback import settings

    monkeypatch.delenv("TEXTBACK_TRUSTED_PROXIES", raising=False)

    assert settings._trusted_proxies() == ()
