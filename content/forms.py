"""Admin forms of components and placements.

The placement form checks what only the whole inline formset can tell (exactly one
fallback, unique variant keys); each variant's `context_rule` is validated by
`PlacementVariant.clean` with the segment rule language, naming the failing node path.
The component form collects placeholders that will not resolve, for a non-blocking
warning after save.
"""

from collections import Counter
from typing import Any

from django.forms import BaseForm
from django.utils.text import slugify
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.models import Locale

from content.placeholders import unknown_tokens

VARIANTS = "variants"
POPUP = "popup"


def body_unknown_tokens(raw: Any) -> list[str]:
    """Placeholders in any text of a component body (its raw JSON) that will not resolve,
    in order of appearance, each once."""
    found: list[str] = []
    if isinstance(raw, str):
        found = unknown_tokens(raw) if ("{{" in raw or "{%" in raw or "{#" in raw) else []
    elif isinstance(raw, dict):
        found = [token for value in raw.values() for token in body_unknown_tokens(value)]
    elif isinstance(raw, list | tuple):
        found = [token for value in raw for token in body_unknown_tokens(value)]
    return list(dict.fromkeys(found))


class ComponentForm(WagtailAdminModelForm):
    """Saves like any snippet form; `unknown_tokens` lists placeholders that will render
    as their default, for the view to report as a warning (they never block a save)."""

    unknown_tokens: list[str]

    def clean(self) -> dict[str, Any]:
        cleaned_data = super().clean()
        self.unknown_tokens = []
        body = cleaned_data.get("body")
        if body is not None:
            self.unknown_tokens = body_unknown_tokens(body.get_prep_value())
        self._check_unique_key(cleaned_data.get("key"))
        return cleaned_data

    def _check_unique_key(self, key: str | None) -> None:
        # The key is unique per locale, and the locale is no form field, so Django's own
        # unique check skips it and the database would answer with an IntegrityError.
        if not key:
            return
        instance = self.instance
        locale_id = instance.locale_id or Locale.get_default().pk
        taken = type(instance).objects.filter(key=key, locale_id=locale_id)
        if instance.pk:
            taken = taken.exclude(pk=instance.pk)
        if taken.exists():
            self.add_error("key", f"Another component already uses the key “{key}”.")


def _live_variant_forms(formset: Any) -> list[BaseForm]:
    """Child forms that will be saved: valid so far, filled in and not marked deleted."""
    return [
        form
        for form in formset.forms
        if hasattr(form, "cleaned_data")
        and form.cleaned_data
        and not (formset.can_delete and formset._should_delete_form(form))
    ]


class PlacementForm(WagtailAdminModelForm):
    """A placement with its variants: exactly one fallback (none allowed when every variant
    is a pop-up) and unique variant keys."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        formset = self.formsets.get(VARIANTS)
        for form in formset.forms if formset is not None else []:
            key = form.fields["key"]
            key.required = False
            key.help_text = "Left empty, it is made from the content's key."

    def clean(self) -> dict[str, Any]:
        cleaned_data = super().clean()
        formset = self.formsets.get(VARIANTS)
        if formset is None:
            return cleaned_data
        formset.is_valid()  # cleans the child forms so their values can be compared
        variants = _live_variant_forms(formset)
        self._check_fallback(variants)
        self._fill_missing_keys(variants)
        self._check_unique_keys(variants)
        self._set_priorities_from_order(variants)
        return cleaned_data

    def _fill_missing_keys(self, variants: list[BaseForm]) -> None:
        # Editors pick content and an audience; the key (reported in decisions) can follow.
        taken = {form.cleaned_data.get("key") for form in variants} - {None, ""}
        for form in variants:
            if form.cleaned_data.get("key"):
                continue
            component = form.cleaned_data.get("component")
            base = slugify(component.key if component else "variant")[:40] or "variant"
            key, number = base, 2
            while key in taken:
                key, number = f"{base}-{number}", number + 1
            taken.add(key)
            form.cleaned_data["key"] = form.instance.key = key  # type: ignore[attr-defined]

    def _set_priorities_from_order(self, variants: list[BaseForm]) -> None:
        # The editor orders variants by dragging them; the first that fits wins, which the
        # decision reads as the highest priority.
        # The fallback is tried after all of them whatever its place, so it keeps its own.
        targeted = [form for form in variants if not form.cleaned_data.get("is_fallback")]
        ordered = sorted(
            enumerate(targeted),
            key=lambda pair: (pair[1].cleaned_data.get("ORDER") or 0, pair[0]),
        )
        for position, (_, form) in enumerate(ordered):
            form.instance.priority = 10 * (len(ordered) - position)  # type: ignore[attr-defined]

    def _check_fallback(self, variants: list[BaseForm]) -> None:
        fallbacks = [form for form in variants if form.cleaned_data.get("is_fallback")]
        components = [form.cleaned_data.get("component") for form in variants]
        # A pop-up is an interruption: a placement of pop-ups alone may show nothing.
        only_popups = bool(components) and all(
            component is not None and component.kind == POPUP for component in components
        )
        if not fallbacks and not only_popups:
            self.add_error(
                None,
                "Mark exactly one variant as the fallback: it is shown when no other "
                "variant matches (only a placement of pop-ups may have none).",
            )
        elif len(fallbacks) > 1:
            self.add_error(
                None, f"Only one variant can be the fallback; {len(fallbacks)} are marked."
            )
            for form in fallbacks:
                form.add_error("is_fallback", "Only one variant can be the fallback.")

    def _check_unique_keys(self, variants: list[BaseForm]) -> None:
        counts = Counter(form.cleaned_data.get("key") for form in variants)
        duplicates = sorted(key for key, count in counts.items() if key and count > 1)
        if not duplicates:
            return
        self.add_error(None, f"Variant keys must be unique; repeated: {', '.join(duplicates)}.")
        for form in variants:
            if form.cleaned_data.get("key") in duplicates:
                form.add_error("key", "Another variant of this placement has this key.")
