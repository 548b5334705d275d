"""The admin upload of a product feed: the import the command runs, with its report."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.generic import FormView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.permission_policies import ModelPermissionPolicy

from catalog.forms import ProductFeedForm
from catalog.models import Product, ProductImport
from catalog.services import import_feed_file

MAX_REPORTED_ROWS = 500


class ProductFeedUploadView(PermissionCheckedMixin, WagtailAdminTemplateMixin, FormView):
    """Upload a feed; creating and changing products takes both product permissions."""

    permission_policy = ModelPermissionPolicy(Product)
    permission_required = "add"
    form_class = ProductFeedForm
    template_name = "catalog/admin/upload.html"
    page_title = "Upload a product feed"
    header_icon = "upload"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not self.permission_policy.user_has_permission(request.user, "change"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self) -> list[dict[str, str]]:
        return self.breadcrumbs_items + [
            {"url": reverse("product_imports:index"), "label": "Product imports"},
            {"url": "", "label": self.page_title},
        ]

    def form_valid(self, form: ProductFeedForm) -> HttpResponse:
        upload = form.cleaned_data["file"]
        record, report = import_feed_file(
            stream=upload.file,
            file_name=upload.name,
            format=form.cleaned_data["format"],
            source=ProductImport.Source.ADMIN,
            user=self.request.user,
        )
        return self.render_to_response(
            self.get_context_data(
                form=ProductFeedForm(),
                record=record,
                report=report,
                rejected=report.rejected[:MAX_REPORTED_ROWS],
                more_rejected=max(len(report.rejected) - MAX_REPORTED_ROWS, 0),
            )
        )
