"""The staff "preview as" screen: choose segments, context and a page; see what each
placement would show and open the storefront as that visitor. And the customer lookup."""

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin

from catalog.models import Product
from content.admin_views import PLACEMENTS_URL
from content.models import Placement
from core.permissions import can_view_visitor_data
from personalization import customer_lookup, preview
from personalization.forms import CustomerLookupForm, PreviewAsForm
from tracking.selectors import find_profile

PAGE_SUGGESTIONS = 12


class StaffRequiredMixin:
    """Only staff: the storefront honours `?pz_preview_segments` for staff alone."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_staff:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


class PreviewAsView(
    StaffRequiredMixin, PermissionCheckedMixin, WagtailAdminTemplateMixin, TemplateView
):
    """GET: choose segments, context and a page; see what each placement would show and
    open the storefront as that visitor."""

    model = Placement
    any_permission_required = ["add", "change", "publish", "view"]
    template_name = "personalization/admin/preview_as.html"
    page_title = "Preview as"
    header_icon = "view"

    def get_breadcrumbs_items(self) -> list[dict[str, str]]:
        return self.breadcrumbs_items + [
            {"url": reverse(f"{PLACEMENTS_URL}:list"), "label": "Placements"},
            {"url": "", "label": self.page_title},
        ]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = PreviewAsForm(self.request.GET or None)
        context["form"] = form
        context["page_suggestions"] = [
            f"/p/{product_id}/"
            for product_id in Product.objects.filter(in_stock=True)
            .order_by("product_id")
            .values_list("product_id", flat=True)[:PAGE_SUGGESTIONS]
        ]
        if form.is_valid():
            data = form.cleaned_data
            segments = [segment.key for segment in data["segments"]]
            context["segment_names"] = [segment.name for segment in data["segments"]]
            context["storefront_url"] = preview.preview_storefront_url(
                path=data["path"],
                segments=segments,
                utm_source=data["utm_source"],
                device=data["device"],
                country=data["country"],
            )
            context["decision"] = preview.preview_decision(
                segments=segments,
                device=data["device"],
                country=data["country"],
                utm_source=data["utm_source"],
                path=data["path"],
            )
            context["rows"] = preview.placement_rows(context["decision"])
        return context


class CustomerLookupView(WagtailAdminTemplateMixin, TemplateView):
    """Look one customer up (staff who may see visitor data only; every lookup that
    finds someone is audited on their profile)."""

    template_name = "personalization/admin/customer_lookup.html"
    page_title = "Customer lookup"
    header_icon = "user"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not can_view_visitor_data(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self) -> list[dict[str, str]]:
        return self.breadcrumbs_items + [{"url": "", "label": self.page_title}]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = CustomerLookupForm(self.request.GET or None)
        context["form"] = form
        if form.is_valid():
            profile = find_profile(form.cleaned_data["q"])
            context["searched"] = True
            if profile is not None:
                customer_lookup.record_lookup(profile, self.request.user)
                context["customer"] = customer_lookup.customer_view(profile)
                context["minimum_segment_size"] = settings.PZ_MIN_SEGMENT_SIZE
        return context
