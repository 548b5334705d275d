"""The "preview as" form: segments, request context and a storefront page."""

import re

from django import forms

from segments.models import Segment

DEVICES = [("", "Any device"), ("desktop", "Desktop"), ("mobile", "Mobile"), ("tablet", "Tablet")]
STOREFRONT_PATH = re.compile(r"/(?!/)[^\s?#]*")


class PreviewAsForm(forms.Form):
    """What staff preview the storefront as: segments, request context and a page."""

    segments = forms.ModelMultipleChoiceField(
        queryset=Segment.objects.filter(is_active=True).order_by("name"),
        to_field_name="key",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The visitor is treated as a member of exactly these segments.",
    )
    device = forms.ChoiceField(choices=DEVICES, required=False)
    country = forms.RegexField(
        regex=r"^[A-Za-z]{2}$",
        required=False,
        max_length=2,
        widget=forms.TextInput(attrs={"placeholder": "DE", "size": 2}),
        error_messages={"invalid": "Use a two-letter country code, e.g. DE."},
    )
    utm_source = forms.SlugField(
        required=False,
        max_length=100,
        label="UTM source",
        widget=forms.TextInput(attrs={"placeholder": "newsletter"}),
    )
    path = forms.CharField(
        initial="/",
        max_length=300,
        widget=forms.TextInput(attrs={"list": "pz-preview-pages"}),
        label="Storefront page",
        help_text="A path on the shop: / for the home page, /p/<product id>/ for a product.",
    )

    def clean_country(self) -> str:
        return self.cleaned_data["country"].upper()

    def clean_path(self) -> str:
        path = self.cleaned_data["path"].strip()
        if not STOREFRONT_PATH.fullmatch(path):
            raise forms.ValidationError("Use a path on the shop starting with /, e.g. /p/1001/.")
        return path
