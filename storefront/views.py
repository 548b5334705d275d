"""Demo storefront pages. Views parse input, call a service or selector, and render."""

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST
from wagtail.views import serve as wagtail_serve

from catalog.models import Product
from core.request_context import event_context, session_id_from_cookie
from pages.selectors import home_page_exists
from storefront import selectors, services
from storefront.forms import CartAddForm, CartRemoveForm, LoginForm
from storefront.services import CUSTOMER_SESSION_KEY, LAST_ORDER_SESSION_KEY, EventSource
from tracking.middleware import set_request_visitor
from triggers.selectors import visitor_coupons


def _source(request: HttpRequest) -> EventSource:
    return EventSource(
        visitor_id=request.pz_visitor_id,  # type: ignore[attr-defined]
        session_id=session_id_from_cookie(request.COOKIES.get("pz_sid")),
        context=event_context(
            request.META,
            url=request.get_full_path(),
            logged_in=CUSTOMER_SESSION_KEY in request.session,
        ),
        gpc=getattr(request, "pz_gpc", False),
    )


def _product_or_404(product_id: str) -> Product:
    try:
        return selectors.get_product(product_id)
    except Product.DoesNotExist as exc:
        raise Http404("No such product.") from exc


def home(request: HttpRequest) -> HttpResponse:
    # The site's HomePage when the shop has one (Wagtail, personalized blocks), else the
    # hand-written home.
    if home_page_exists(request):
        return wagtail_serve(request, "")
    return render(
        request,
        "storefront/home.html",
        {
            "featured": selectors.featured_products(),
            "categories": selectors.subcategories(),
        },
    )


def category(request: HttpRequest, category: str) -> HttpResponse:
    path = category.strip("/")
    products = list(selectors.products_in_category(path)[:200])
    if not products:
        raise Http404("No such category.")
    return render(
        request,
        "storefront/category.html",
        {
            "category": path,
            "subcategories": selectors.subcategories(path),
            "products": products,
        },
    )


def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")[:200].strip()
    results = selectors.search_products(query)
    services.record_search(source=_source(request), query=query, results=len(results))
    return render(request, "storefront/search.html", {"query": query, "products": results})


def product_detail(request: HttpRequest, product_id: str) -> HttpResponse:
    product = _product_or_404(product_id)
    # Read when the page's placements are decided ("similar" recommendations, rules).
    request.pz_product_id = product.product_id  # type: ignore[attr-defined]
    return render(
        request,
        "storefront/product.html",
        {
            "product": product,
            "form": CartAddForm(initial={"product_id": product.product_id, "quantity": 1}),
            "related": selectors.related_products(product),
        },
    )


def cart(request: HttpRequest) -> HttpResponse:
    # The visitor's own unique codes (from a triggered e-mail): never a shared cache.
    coupons = visitor_coupons(getattr(request, "pz_visitor_id", None))
    return render(
        request,
        "storefront/cart.html",
        {"cart": selectors.cart_contents(request.session), "coupons": coupons},
    )


@require_POST
def cart_add(request: HttpRequest) -> HttpResponse:
    form = CartAddForm(request.POST)
    if not form.is_valid():
        return HttpResponse("Invalid cart request.", status=400)
    try:
        services.add_to_cart(
            request_session=request.session,
            source=_source(request),
            product_id=form.cleaned_data["product_id"],
            quantity=form.cleaned_data["quantity"],
        )
    except Product.DoesNotExist as exc:
        raise Http404("No such product.") from exc
    return redirect("storefront:cart")


@require_POST
def cart_remove(request: HttpRequest) -> HttpResponse:
    form = CartRemoveForm(request.POST)
    if not form.is_valid():
        return HttpResponse("Invalid cart request.", status=400)
    services.remove_from_cart(
        request_session=request.session,
        source=_source(request),
        product_id=form.cleaned_data["product_id"],
    )
    return redirect("storefront:cart")


@require_http_methods(["GET", "POST"])
def checkout(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        order = services.place_order(request_session=request.session, source=_source(request))
        if order is None:
            return redirect("storefront:cart")
        return redirect("storefront:order-complete", order_id=order.order_id)
    cart = services.start_checkout(request_session=request.session, source=_source(request))
    if not cart.lines:
        return redirect("storefront:cart")
    return render(request, "storefront/checkout.html", {"cart": cart})


def order_complete(request: HttpRequest, order_id: str) -> HttpResponse:
    order = request.session.get(LAST_ORDER_SESSION_KEY)
    if not order or order.get("order_id") != order_id:
        raise Http404("No such order in this session.")
    return render(request, "storefront/order_complete.html", {"order": order})


@require_http_methods(["GET", "POST"])
def login(request: HttpRequest) -> HttpResponse:
    if not settings.PZ_DEMO_SIGN_IN:
        # Signing in by customer number alone would let anyone act as any customer.
        status = 403 if request.method == "POST" else 200
        return render(request, "storefront/login_disabled.html", status=status)
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        visitor_id = services.log_in(
            request_session=request.session,
            source=_source(request),
            customer_id=form.cleaned_data["customer_id"],
        )
        set_request_visitor(request, visitor_id)
        target = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            target = "storefront:home"
        return redirect(target)
    return render(
        request, "storefront/login.html", {"form": form, "next": request.GET.get("next", "")}
    )


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    set_request_visitor(request, services.log_out(request_session=request.session))
    return redirect("storefront:home")
