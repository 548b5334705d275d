"""Input of the shop's POST endpoints."""

from django import forms
from django.core.validators import RegexValidator

from storefront.services import MAX_LINE_QUANTITY


class CartAddForm(forms.Form):
    product_id = forms.CharField(max_length=64)
    quantity = forms.IntegerField(min_value=1, max_value=MAX_LINE_QUANTITY, initial=1)


class CartRemoveForm(forms.Form):
    product_id = forms.CharField(max_length=64)


class LoginForm(forms.Form):
    customer_id = forms.CharField(
        label="Customer number",
        max_length=32,
        validators=[RegexValidator(r"^[A-Za-z0-9_-]+$", "Letters, digits, '-' and '_' only.")],
        widget=forms.TextInput(attrs={"placeholder": "e.g. 12347", "autocomplete": "username"}),
    )
