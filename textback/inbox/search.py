"""The search box and page link a list reads from its query string (the inbox, the contacts): a value that
cannot be used is reported on the page and left out, never an error."""

from django import forms

from textback.accounts.plain_forms import PlainWords


class SearchBox(PlainWords, forms.Form):
    q = forms.CharField(
        label="Search",
        max_length=100,
        required=False,
        error_messages={"max_length": "Search for at most 100 characters."},
    )
    before = forms.CharField(label="Page link", required=False)

    def clean_q(self) -> str:
        return self.cleaned_data["q"].strip()

    def problems(self) -> list[str]:
        """What the page says about the values it left out."""
        return [error for errors in self.errors.values() for error in errors]
