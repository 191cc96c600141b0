"""Helpers for the messaging tests: texts in (queue and run_outbox come from textback/conftest.py)."""

import pytest

from textback.testing import CALLER, an_inbound_text


@pytest.fixture
def text_in():
    """A contact texts a line (as the provider's webhook would report it)."""

    def text_in(line, body: str, *, from_number: str = CALLER, provider_type: str = ""):
        return an_inbound_text(line, body, from_number, provider_type=provider_type)

    return text_in
