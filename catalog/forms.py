"""The admin upload form of a product feed."""

from django import forms
from django.conf import settings

from catalog.feeds import FeedError, guess_format

FORMAT_CHOICES = [
    ("", "From the file name"),
    ("csv", "CSV (pz's or Merchant Center's columns)"),
    ("tsv", "Tab-separated (Merchant Center .txt/.tsv)"),
    ("jsonl", "JSON Lines"),
    ("xml", "Merchant Center RSS 2.0 / Atom XML"),
]


class ProductFeedForm(forms.Form):
    file = forms.FileField(
        label="Feed file",
        help_text="CSV, JSON Lines, or a Google Merchant Center feed (TSV, RSS/Atom XML).",
    )
    format = forms.ChoiceField(choices=FORMAT_CHOICES, required=False)

    def clean(self) -> dict:
        cleaned = super().clean()
        upload = cleaned.get("file")
        if upload is None:
            return cleaned
        if upload.size > settings.PZ_CATALOG_UPLOAD_MAX_BYTES:
            limit_mb = settings.PZ_CATALOG_UPLOAD_MAX_BYTES // (1024 * 1024)
            self.add_error("file", f"The file is larger than {limit_mb} MB.")
        elif not cleaned.get("format"):
            try:
                cleaned["format"] = guess_format(upload.name)
            except FeedError as exc:
                self.add_error("format", str(exc))
        return cleaned
