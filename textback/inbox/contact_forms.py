"""The contacts pages' forms: the list's search, and a contact's name, owner and tags."""

from django import forms
from django.contrib.auth import get_user_model

from textback.accounts.plain_forms import ModelIdField, PlainWords
from textback.inbox.search import SearchBox
from textback.lib.text import whole_number
from textback.messaging import contacts


class SearchForm(SearchBox):
    """The contacts list's search and page link (a contact id)."""

    def clean_before(self) -> int | None:
        text = self.cleaned_data["before"]
        start = whole_number(text)
        if text and start is None:
            raise forms.ValidationError("That page link is broken; showing the newest contacts.")
        return start

    def search(self) -> tuple[str, int | None]:
        """(the search text, the id the page starts below), each empty when it was not usable."""
        self.is_valid()
        return self.cleaned_data.get("q") or "", self.cleaned_data.get("before")


class MemberChoice(ModelIdField):
    def label_from_instance(self, user) -> str:
        return user.get_full_name() or user.email or user.get_username()


class ContactForm(PlainWords, forms.Form):
    name = forms.CharField(
        max_length=100, required=False, help_text="Texts greet them by the first word of it ({first_name})."
    )
    owner = MemberChoice(
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label="Nobody",
        help_text="The technician this customer belongs to.",
        error_messages={"invalid_choice": "Choose someone who works for this business."},
    )
    tags = forms.CharField(
        max_length=2000,
        required=False,
        help_text="Comma-separated, e.g. commercial, warranty. Up to 20, each up to 30 characters.",
    )

    def __init__(self, *args, business, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = (
            get_user_model().objects.filter(memberships__business=business).order_by("first_name", "email")
        )

    def clean_name(self) -> str:
        return " ".join(self.cleaned_data["name"].split())

    def clean_tags(self) -> list[str]:
        try:
            return contacts.check_tags(self.cleaned_data["tags"])
        except contacts.Invalid as exc:
            raise forms.ValidationError(str(exc)) from None

    @staticmethod
    def initial_for(contact) -> dict:
        return {"name": contact.name, "owner": contact.owner_id, "tags": ", ".join(contact.tags or [])}
