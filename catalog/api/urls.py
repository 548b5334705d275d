from django.urls import path

from catalog.api import views

urlpatterns = [
    path("products", views.ProductsApi.as_view(), name="api-products"),
    # Shops' ids may hold "/" (a feed's id is any text): the rest of the path is the id.
    path("products/<path:product_id>", views.ProductDetailApi.as_view(), name="api-product"),
]
