"""Admin import of a CRM export: upload a CSV, map its columns to customer_id, e-mail,
first name and the defined attributes, see the first rows, then import all rows or
none (per-row errors are listed and nothing is stored while any remains)."""

import csv
import io
import secrets
import tempfile
from pathlib import Path
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.generic import View
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin

from tracking.customer_rows import CUSTOMER_ID, PERSONAL_FIELDS, automatic_mapping
from tracking.definitions import current_definitions
from tracking.models import VisitorProfile
from tracking.services import import_customer_attributes

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
PREVIEW_ROWS = 5
SHOWN_ERRORS = 100
SESSION_KEY = "pz_customer_import"
IGNORE = ""


def _upload_dir() -> Path:
    # Kept out of the cache (personal data) and of the media root (not public).
    folder = Path(tempfile.gettempdir()) / "pz-customer-imports"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


class UploadForm(forms.Form):
    file = forms.FileField(label="CSV file", help_text="UTF-8, with a header row.")

    def clean_file(self) -> str:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("The file is larger than 20 MB.")
        try:
            return upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError("The file is not UTF-8 text.") from None


def mapping_form(columns: list[str], data: Any = None) -> forms.Form:
    """One choice per column: what it holds (or ignore it)."""
    specs = current_definitions().attributes
    targets = [
        (IGNORE, "— ignore this column —"),
        (CUSTOMER_ID, "Customer id (required)"),
        ("email", "E-mail address"),
        ("first_name", "First name"),
        *(
            (key, f"{spec.label} ({spec.type})")
            for key, spec in sorted(specs.items())
            if key not in PERSONAL_FIELDS
        ),
    ]
    initial = automatic_mapping(columns, specs)
    form = forms.Form(data)
    for position, column in enumerate(columns):
        form.fields[f"column_{position}"] = forms.ChoiceField(
            label=column, choices=targets, required=False, initial=initial.get(column, IGNORE)
        )
    return form


class CustomerImportView(PermissionCheckedMixin, WagtailAdminTemplateMixin, View):
    model = VisitorProfile
    permission_required = "change"
    template_name = "tracking/admin/customer_import.html"
    page_title = "Import customers"
    header_icon = "upload"

    def user_has_permission(self, permission: str) -> bool:
        return self.request.user.has_perm("tracking.change_visitorprofile")

    def get_breadcrumbs_items(self) -> list[dict[str, str]]:
        return self.breadcrumbs_items + [{"url": "", "label": self.page_title}]

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._render(upload=UploadForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        if "file" in request.FILES:
            upload = UploadForm(request.POST, request.FILES)
            if not upload.is_valid():
                return self._render(upload=upload)
            token = secrets.token_urlsafe(16)
            (_upload_dir() / f"{token}.csv").write_text(upload.cleaned_data["file"], "utf-8")
            request.session[SESSION_KEY] = token
            return self._mapping_step(token)
        token = request.session.get(SESSION_KEY)
        path = _upload_dir() / f"{token}.csv" if token else None
        if path is None or request.POST.get("token") != token or not path.exists():
            messages.error(request, "The upload has expired; choose the file again.")
            return redirect("tracking_customer_import")
        text = path.read_text("utf-8")
        columns = next(csv.reader(io.StringIO(text)), [])
        form = mapping_form(columns, request.POST)
        if not form.is_valid():
            return self._mapping_step(token, form=form)
        mapping = {
            column: form.cleaned_data[f"column_{position}"]
            for position, column in enumerate(columns)
            if form.cleaned_data[f"column_{position}"] != IGNORE
        }
        targets = list(mapping.values())
        duplicated = {target for target in targets if targets.count(target) > 1}
        if CUSTOMER_ID not in targets or duplicated:
            problem = (
                "Map one column to the customer id."
                if CUSTOMER_ID not in targets
                else f"Map only one column to {', '.join(sorted(duplicated))}."
            )
            form.add_error(None, problem)
            return self._mapping_step(token, form=form)
        report = import_customer_attributes(
            io.StringIO(text, newline=""), mapping=mapping, all_or_nothing=True
        )
        if report.errors:
            return self._mapping_step(token, form=form, errors=report.errors)
        path.unlink(missing_ok=True)
        del request.session[SESSION_KEY]
        messages.success(request, f"Imported {report.imported} customers.")
        return redirect("tracking_customer_import")

    def _mapping_step(
        self, token: str, *, form: forms.Form | None = None, errors: list | None = None
    ) -> HttpResponse:
        text = (_upload_dir() / f"{token}.csv").read_text("utf-8")
        rows = list(csv.reader(io.StringIO(text)))
        columns = rows[0] if rows else []
        return self._render(
            token=token,
            mapping=form or mapping_form(columns),
            columns=columns,
            preview=rows[1 : PREVIEW_ROWS + 1],
            total_rows=max(len(rows) - 1, 0),
            row_errors=(errors or [])[:SHOWN_ERRORS],
            error_count=len(errors or []),
        )

    def _render(self, **context: Any) -> HttpResponse:
        return render(
            self.request,
            self.template_name,
            {
                **self.get_context_data(),
                "action_url": reverse("tracking_customer_import"),
                **context,
            },
        )
