"""textback serve: where it listens, and what its web processes keep out of every request."""

import os

import pytest
from django.core.management.base import CommandError
from granian.wsgi import _callback_wrapper

from textback.ops import web
from textback.ops.management.commands.serve import parse_bind


@pytest.mark.parametrize(
    "bind, expected",
    [("127.0.0.1:8000", ("127.0.0.1", 8000)), ("0.0.0.0:80", ("0.0.0.0", 80)), ("[::1]:8000", ("::1", 8000))],
)
def test_it_listens_where_bind_says(bind, expected):
    assert parse_bind(bind) == expected


@pytest.mark.parametrize("bind", ["8000", "localhost", ":8000", "127.0.0.1:http", "127.0.0.1:0", "127.0.0.1:70000"])
def test_a_bind_that_is_not_host_and_port_is_refused_with_an_example(bind):
    with pytest.raises(CommandError, match="give host:port, e.g. 127.0.0.1:8000"):
        parse_bind(bind)


def test_a_request_in_a_web_process_never_carries_the_servers_secrets(monkeypatch):
    monkeypatch.setattr(os, "environ", {**os.environ, "TEXTBACK_SECRET_KEY": "s3cret-key", "HOME": "/home/tb"})
    os.environ["TEXTBACK_DATABASE_URL"] = "postgresql://textback:db-pa55word@db.internal/textback"
    seen = {}

    def app(environ, start_response):
        seen.update(environ)
        start_response("200 OK", [])
        return [b""]

    class Connection:  # what Granian hands the wrapper to answer on
        def response_bytes(self, status, headers, body):
            pass

    web._forget_secrets()  # as each web process does once the settings have read them
    _callback_wrapper(app, {}, None)(Connection(), {"REQUEST_METHOD": "GET", "PATH_INFO": "/"})

    assert seen["PATH_INFO"] == "/" and seen["HOME"] == "/home/tb"  # Granian did copy the environment in
    assert not [name for name in seen if name.startswith("TEXTBACK_")]
    assert "s3cret-key" not in repr(seen) and "db-pa55word" not in repr(seen)
