"""The shop's catalog: products the storefront sells, recommenders rank and feeds fill."""

from django.conf import settings
from django.db import models


class Product(models.Model):
    """One product, keyed by the shop's own `product_id`. Removal deletes the row: a
    removed product is unknown to recommendations and carousels at once, and a feed or
    `PUT /products` that sends it again brings it back."""

    product_id = models.CharField(max_length=64, unique=True)
    title = models.CharField(max_length=255)
    description = models.TextField(blank=True, default="")
    # A path of lower-case levels, "outdoor/tents", as tracking stores interest.
    category = models.CharField(max_length=255, db_index=True)
    price = models.DecimalField(max_digits=12, decimal_places=2)
    sale_price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True, default="")
    url = models.CharField(max_length=2000, blank=True, default="")
    image_url = models.CharField(max_length=2000, blank=True, default="")
    brand = models.CharField(max_length=255, blank=True, default="")
    in_stock = models.BooleanField(default=True)
    stock = models.PositiveIntegerField(null=True, blank=True)
    attributes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return f"{self.title} ({self.product_id})"


class ProductImport(models.Model):
    """One feed import (command or admin upload): who, which file, what it did. The admin
    upload's audit entry points at it."""

    class Source(models.TextChoices):
        COMMAND = "command", "manage.py import_products"
        ADMIN = "admin", "Admin upload"

    source = models.CharField(max_length=16, choices=Source.choices)
    file_name = models.CharField(max_length=255)
    format = models.CharField(max_length=8)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rows = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_source_display()})"
