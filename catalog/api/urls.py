from django.urls import path

from catalog.api import views

urlpatterns = [
    path("products", views.ProductsApi.as_view(), name="api-products"),
    path("products/<str:product_id>", views.ProductDetailApi.as_view(), name="api-product"),
]
