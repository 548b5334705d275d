"""Shapes of the catalog API (API.md "Catalog"): documentation and output only; items are
validated by `catalog.product_input`, shared with the imports."""

from rest_framework import serializers

from catalog import product_input
from catalog.models import Product


class ProductSerializer(serializers.ModelSerializer):
    price = serializers.DecimalField(max_digits=12, decimal_places=2, coerce_to_string=False)
    sale_price = serializers.DecimalField(
        max_digits=12, decimal_places=2, coerce_to_string=False, allow_null=True, required=False
    )

    class Meta:
        model = Product
        # The fields a shop writes are the ones product_input cleans (one list).
        fields = ["product_id", *product_input.FIELDS, "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]


class ProductBatchSerializer(serializers.Serializer):
    products = ProductSerializer(
        many=True, help_text="Up to 1,000 products; omitted fields are kept."
    )


class RejectedItemSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    errors = serializers.DictField(child=serializers.CharField())


class ProductReportSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    rejected = RejectedItemSerializer(many=True)
