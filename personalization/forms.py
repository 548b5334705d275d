"""The "preview as" form: segments, request context and a storefront page."""

import re

from django import forms

from segments.models import Segment
from tracking.rule_fields.iso_codes import COUNTRIES

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
    # Chosen by name: typing "Germany" into a code box once gave "GE" (Georgia).
    country = forms.ChoiceField(
        choices=[("", "Any country"), *sorted(COUNTRIES, key=lambda item: item[1])],
        required=False,
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

    def clean_path(self) -> str:
        path = self.cleaned_data["path"].strip()
        if not STOREFRONT_PATH.fullmatch(path):
            raise forms.ValidationError("Use a path on the shop starting with /, e.g. /p/1001/.")
        return path


class CustomerLookupForm(forms.Form):
    q = forms.CharField(
        label="Customer id, e-mail address or visitor id", max_length=254, strip=True
    )
