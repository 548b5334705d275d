from django.urls import path

from storefront import views

app_name = "storefront"

urlpatterns = [
    path("", views.home, name="home"),
    path("c/<path:category>/", views.category, name="category"),
    path("search", views.search, name="search"),
    path("p/<str:product_id>/", views.product_detail, name="product"),
    path("cart/", views.cart, name="cart"),
    path("cart/add/", views.cart_add, name="cart-add"),
    path("cart/remove/", views.cart_remove, name="cart-remove"),
    path("checkout/", views.checkout, name="checkout"),
    path("checkout/done/<str:order_id>/", views.order_complete, name="order-complete"),
    path("account/login/", views.login, name="login"),
    path("account/logout/", views.logout, name="logout"),
]
