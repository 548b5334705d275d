"""Catalog API (API.md "Catalog"): the shop's backend (a server key) or staff with the
product permission write products; staff read them."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog import selectors, services
from catalog.api.serializers import (
    ProductBatchSerializer,
    ProductReportSerializer,
    ProductSerializer,
)
from catalog.models import Product
from core.api.errors import ErrorEnvelopeSerializer
from core.api.permissions import ServerKeyOrModelPermissions
from core.authentication import ServerKeyAuthentication
from core.errors import Invalid

ERRORS = dict.fromkeys((400, 401, 403, 404, 413), ErrorEnvelopeSerializer)
MAX_BODY_BYTES = 10 * 1024 * 1024


class CatalogApiView(APIView):
    authentication_classes = [
        ServerKeyAuthentication,
        SessionAuthentication,
        TokenAuthentication,
    ]
    permission_classes = [ServerKeyOrModelPermissions]
    permission_model = Product


class ProductsApi(CatalogApiView):
    server_key_methods = ("PUT",)
    max_body_bytes = MAX_BODY_BYTES
    # A bad value rejects its own item in the report, not the batch.
    validates_each_item = True

    @extend_schema(
        request=ProductBatchSerializer,
        responses={200: ProductReportSerializer, **ERRORS},
        summary="Create or update up to 1,000 products",
        description="Each item is merged into the stored product (omitted fields are kept). "
        "Items equal to the stored product after normalization are counted as unchanged "
        "and not written. Bad items are reported by index; the others are kept.",
    )
    def put(self, request: Request) -> Response:
        products = request.data.get("products") if isinstance(request.data, dict) else None
        if not isinstance(products, list):
            raise Invalid(
                "Body must be an object with a 'products' list.", {"products": "must be a list"}
            )
        if len(products) > services.MAX_ITEMS_PER_CALL:
            raise Invalid(
                "Too many products in one call.",
                {"products": f"at most {services.MAX_ITEMS_PER_CALL} products per call"},
            )
        report = services.save_products(items=products)
        return Response(report.as_response())


class ProductDetailApi(CatalogApiView):
    server_key_methods = ("DELETE",)

    @extend_schema(responses={200: ProductSerializer, **ERRORS}, summary="One product")
    def get(self, request: Request, product_id: str) -> Response:
        try:
            product = selectors.get_product(product_id)
        except Product.DoesNotExist as exc:
            raise NotFound(f"No product {product_id!r}.") from exc
        return Response(ProductSerializer(product).data)

    @extend_schema(
        responses={204: OpenApiResponse(description="Removed"), **ERRORS},
        summary="Remove a product (recommendations stop returning it at once)",
    )
    def delete(self, request: Request, product_id: str) -> Response:
        if not services.remove_products(product_ids=[product_id], user=request.user):
            raise NotFound(f"No product {product_id!r}.")
        return Response(status=status.HTTP_204_NO_CONTENT)
