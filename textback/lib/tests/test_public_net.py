"""Connections for URLs from outside go only to public internet addresses, checked once and then connected to."""

import socket

import httpcore
import pytest

from textback.lib.public_net import NotPublic, PublicOnlyBackend, is_public

PUBLIC_V4, PUBLIC_V6 = "52.94.236.248", "2600:1f18::1"  # an Amazon (S3) address, like Twilio's media CDN


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",  # the cloud metadata service
        "100.64.0.1",  # carrier-grade NAT
        "0.0.0.0",
        "224.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fe80::1%eth0",
        "fd00::1",
        "ff02::1",
        "::ffff:127.0.0.1",  # IPv4-mapped
        "::ffff:169.254.169.254",
        "2002:7f00:1::",  # 6to4 of 127.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
        "::7f00:1",  # IPv4-compatible 127.0.0.1
        "not an address",
    ],
)
def test_local_private_and_special_addresses_are_not_public(address):
    assert not is_public(address)


@pytest.mark.parametrize("address", [PUBLIC_V4, "8.8.8.8", PUBLIC_V6, "::ffff:8.8.8.8", "64:ff9b::808:808"])
def test_internet_addresses_are_public(address):
    assert is_public(address)


class Recorded(httpcore.SyncBackend):
    """The real network layer's interface, remembering where it was asked to connect instead of connecting."""

    def __init__(self):
        self.connected = []

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        self.connected.append((host, port))
        return object()


def resolver(*answers: list[str]):
    """A resolver giving each answer in turn (a DNS name being rebound between lookups); counts its calls."""
    calls = []

    def resolve(host, port, type=0):
        answer = answers[min(len(calls), len(answers) - 1)]
        calls.append(host)
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, type, 6, "", (a, port)) for a in answer]

    resolve.calls = calls
    return resolve


def backend_with(resolve, trusted=lambda host, port: False) -> tuple[PublicOnlyBackend, Recorded]:
    recorded = Recorded()
    return PublicOnlyBackend(trusted, resolve, network=recorded), recorded


def test_it_connects_to_the_address_it_checked_so_a_rebound_name_gains_nothing():
    resolve = resolver([PUBLIC_V4], ["127.0.0.1"])  # public when checked, loopback a moment later
    backend, recorded = backend_with(resolve)

    backend.connect_tcp("media.twiliocdn.example", 443)

    assert recorded.connected == [(PUBLIC_V4, 443)]  # the address, never the name to be looked up again
    assert resolve.calls == ["media.twiliocdn.example"]


def test_a_name_with_any_private_address_among_its_answers_is_refused_before_connecting():
    backend, recorded = backend_with(resolver([PUBLIC_V4, "169.254.169.254"]))

    with pytest.raises(NotPublic) as refused:
        backend.connect_tcp("media.twiliocdn.example", 443)

    assert (refused.value.host, refused.value.address) == ("media.twiliocdn.example", "169.254.169.254")
    assert recorded.connected == []


def test_a_trusted_host_and_port_is_connected_to_as_configured():
    resolve = resolver(["127.0.0.1"])
    backend, recorded = backend_with(resolve, trusted=lambda host, port: (host, port) == ("127.0.0.1", 8123))

    backend.connect_tcp("127.0.0.1", 8123)
    with pytest.raises(NotPublic):
        backend.connect_tcp("127.0.0.1", 8124)  # the same machine, another service

    assert recorded.connected == [("127.0.0.1", 8123)]


def test_a_name_that_does_not_resolve_is_a_connection_error():
    def resolve(host, port, type=0):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    backend, _ = backend_with(resolve)

    with pytest.raises(httpcore.ConnectError, match="cannot resolve nowhere.example"):
        backend.connect_tcp("nowhere.example", 443)
