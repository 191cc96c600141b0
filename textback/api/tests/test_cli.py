from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from textback.api import tokens
from textback.api.models import ApiToken


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("api-token", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_creates_a_token_and_prints_it_once(alpha, alice):
    out, err = run("create", "--business", "alpha", "--name", "Zapier", "--scope", "read_write")
    token = ApiToken.objects.get()
    assert tokens.authenticate(out.strip()) == token
    assert (token.scope, token.created_by) == ("read_write", alice)
    assert "not shown again" in err
    listed, _ = run("list", "--business", "alpha")
    assert token.prefix in listed and "Zapier" in listed and out.strip() not in listed


def test_it_revokes_a_token_by_its_prefix(alpha, alice):
    made = tokens.do_create(alpha, "CRM", "read", alice)
    out, _ = run("revoke", made.token.prefix)
    assert "Revoked" in out
    made.token.refresh_from_db()
    assert made.token.revoked_at is not None
    assert "already revoked" in run("revoke", made.plain)[0]


@pytest.mark.parametrize(
    "args, words",
    [(["create", "--business", "nope", "--name", "x"], "no business"),
     (["create", "--business", "alpha", "--name", " "], "Name the token"),
     (["create", "--business", "alpha", "--name", "x", "--scope", "read_write", "--user", "z@z.z"], "does not work"),
     (["revoke", "zzzzzzzz"], "no token")],
)  # fmt: skip
def test_it_says_what_to_fix(alpha, alice, args, words):
    with pytest.raises(CommandError, match=words):
        run(*args)
    assert not ApiToken.objects.exists()
