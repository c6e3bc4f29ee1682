"""S5 and S6: the checkout (Facebook checkout or the store's own) with the Messenger opt-in."""
import secrets

from flask import abort, redirect, request, session, url_for
from flask_babel import gettext as _

from pageshop import checkout as checkouts
from pageshop.errors import DomainError
from pageshop.messenger.transport import get_transport
from pageshop.money import format_money
from pageshop.payments import PaymentError
from pageshop.sessions import current_facebook_account, log_out_facebook
from pageshop.shopper_language import current_language
from pageshop.store import get_store
from pageshop.templating import htmx_target, htmx_trigger_name, render_page
from pageshop.urls import public_url, safe_next

from . import bp
from .cart import cart_token, checkout_storefront
from .forms import CheckoutForm

DRAFT_KEY = "checkout_draft"
# The order whose Messenger opt-in this browser still has to confirm (on its order status page).
CONFIRM_OPT_IN_KEY = "messenger_opt_in_to_confirm"
TEMPLATE = "storefront/checkout.html"
SUMMARY_TARGET = "order-summary"
APPLY_DISCOUNT = "apply_discount"  # the name of the discount code's "Apply" button


@bp.route("/checkout", methods=["GET", "POST"])
def checkout():
    store = get_store()
    kind = checkouts.checkout_kind(store, request.args.get("source"))
    buy_now = "variant" in request.args
    form = _form(kind)
    try:
        if buy_now:
            lines = checkouts.buy_now_lines(request.args.get("variant"), request.args.get("quantity"))
        else:
            lines = checkouts.cart_checkout_lines(_cart_token())
        checkouts.check_lines_available(store, kind, lines)
        if request.method == "GET":
            checkouts.check_lines_in_stock(lines)
    except checkouts.SoldOut as exc:
        # A stale link or a cart left open: said before anything is typed, with where to go instead.
        return _render(store, kind, [], form, error=exc.message, status=422, blocked=True,
                       error_link=_sold_out_link(exc, kind, buy_now))
    except checkouts.Unavailable as exc:
        # Nothing to fill in: the message says why, the link where to go instead.
        return _render(store, kind, [], form, error=exc.message, status=422, blocked=True,
                       error_link=_unavailable_link(kind, buy_now))
    except DomainError as exc:
        if exc.field == "variant":
            abort(404)
        return _render(store, kind, [], form, error=exc.message, status=422, blocked=buy_now,
                       error_link=_unavailable_link(kind, buy_now) if buy_now else None)

    if request.method == "GET":
        if _applying_discount():
            return _render_discount(store, kind, lines, form)
        _prefill(form)
        return _render(store, kind, lines, form)
    if _applying_discount():
        return _render_discount(store, kind, lines, form)

    error = error_link = None
    if not lines:
        error = _("Your cart is empty.")
    elif form.validate_on_submit():
        account = current_facebook_account()
        try:
            order = checkouts.place_order(
                store, kind, lines, _details(form),
                status_url=lambda order: public_url("storefront.order_status", token=order.token),
                facebook_account=account,
                cart_token=None if buy_now else _cart_token(),
                locale=current_language(),
            )
        except DomainError as exc:
            shown = exc.field in _shown_fields(form, kind)
            if shown:
                form[exc.field].errors = list(form[exc.field].errors) + [exc.message]
            # A refused payment is said at the top too: the page reloads there, far from the card.
            if not shown or isinstance(exc, PaymentError):
                error = exc.message
            if isinstance(exc, checkouts.SoldOut):
                error_link = _sold_out_link(exc, kind, buy_now)
            elif isinstance(exc, checkouts.Unavailable):
                error_link = _unavailable_link(kind, buy_now)
        else:
            session.pop(DRAFT_KEY, None)
            if order.subscription is not None and order.subscription.user_ref:
                session[CONFIRM_OPT_IN_KEY] = order.token
            checkouts.deliver_confirmation(order)
            return redirect(url_for("storefront.order_status", token=order.token), code=303)
    if kind.is_facebook and form.discount_code.errors and not error:
        # Facebook checkout has no discount field to show the error next to.
        error = form.discount_code.errors[0]
    return _render(store, kind, lines, form, error=error, error_link=error_link, status=422)


def _applying_discount() -> bool:
    """ "Apply" next to the discount code (or Enter in it): with htmx a GET of the summary, without
    JavaScript a POST of the whole form; either way no order is placed."""
    if request.method == "GET":
        return (htmx_trigger_name() == APPLY_DISCOUNT
                or APPLY_DISCOUNT in request.args)
    return APPLY_DISCOUNT in request.form


def _render_discount(store, kind, lines, form):
    """The summary with the code taken off, or the code's error next to its field (422)."""
    if request.method == "GET":
        form.shipping_rate.data = request.args.get("shipping_rate", form.shipping_rate.data)
        form.discount_code.data = request.args.get("discount_code", "")
    try:
        applied = checkouts.find_discount(kind, form.discount_code.data)
    except DomainError as exc:
        form.discount_code.errors = [exc.message]
        applied = None
    status = 422 if form.discount_code.errors else 200
    if kind.is_facebook and form.discount_code.errors:
        return _render(store, kind, lines, form, error=form.discount_code.errors[0], status=status)
    return _render(store, kind, lines, form, status=status, applied_discount=applied,
                   discount_feedback=True)


def _cart_token() -> str | None:
    """The cart this checkout sells: the online store's for the store's own checkout reached from
    there (?source=online_store), the Facebook shop's otherwise."""
    return cart_token(checkout_storefront(request.args.get("source")))


def _cart_link() -> dict:
    endpoint = ("storefront.store_cart" if checkout_storefront(request.args.get("source")) == "online_store"
                else "storefront.cart")
    return {"url": url_for(endpoint), "text": _("Go to your cart")}


def _unavailable_link(kind, buy_now: bool) -> dict:
    if not buy_now:
        return _cart_link()
    if kind.channel == "facebook":
        return {"url": url_for("storefront.page"), "text": _("Continue shopping")}
    return {"url": url_for("storefront.online_store"), "text": _("Continue shopping")}


def _sold_out_link(exc, kind, buy_now: bool) -> dict:
    """Buy Now has no cart to change: back to the product to choose again; a cart: to the cart."""
    if not buy_now:
        return _cart_link()
    channel = "online_store" if kind.channel == "online_store" else None
    return {"url": url_for("storefront.product", handle=exc.product_handle, variant=exc.variant_id,
                           channel=channel),
            "text": _("Back to the product")}


@bp.post("/checkout/switch-account")
def checkout_switch_account():
    """ "Not you?" and "Log in to Facebook" in the opt-in widget: keep what was typed (never the
    card number), then go to Facebook's log-in and back to the same checkout."""
    return_to = safe_next(request.form.get("return_to"), url_for("storefront.checkout"))
    draft = {name: request.form.get(name, "")[:255] for name in checkouts.DRAFT_FIELDS}
    if request.form.get("action") == "not_you":
        account = current_facebook_account()
        # The e-mail came from the account being left (the form starts with it): the next account's
        # own goes in instead. One the shopper typed stays.
        if account is not None and _same_email(draft["email"], account.email):
            draft["email"] = ""
        log_out_facebook()
    session[DRAFT_KEY] = draft
    return redirect(url_for("storefront.facebook_login", next=return_to), code=303)


def _same_email(typed: str, email: str) -> bool:
    return typed.strip().casefold() == (email or "").strip().casefold()


def _form(kind) -> CheckoutForm:
    form = CheckoutForm()
    form.kind = kind
    form.shipping_rate.choices = [
        (str(rate.id), f"{rate.name} · {format_money(rate.price_cents, get_store().currency)}")
        for rate in checkouts.shipping_rates()
    ]
    return form


def _prefill(form: CheckoutForm) -> None:
    draft = session.get(DRAFT_KEY) or {}
    for name in checkouts.DRAFT_FIELDS:
        if draft.get(name):
            form[name].data = draft[name]
    account = current_facebook_account()
    if not form.email.data and account:
        form.email.data = account.email
    if form.kind.is_facebook and account and not (form.first_name.data or form.last_name.data):
        # Facebook knows the name of the account buying on it.
        first, _space, last = " ".join(account.name.split()).partition(" ")
        form.first_name.data, form.last_name.data = first, last
    if not form.shipping_rate.data and form.shipping_rate.choices:
        form.shipping_rate.data = form.shipping_rate.choices[0][0]
    form.messenger_opt_in.data = False  # the opt-in is asked again for every order


def _details(form: CheckoutForm) -> checkouts.CheckoutDetails:
    return checkouts.CheckoutDetails(
        email=form.email.data, first_name=form.first_name.data, last_name=form.last_name.data,
        address=form.address.data, city=form.city.data, region=form.region.data or "",
        postal_code=form.postal_code.data, country=form.country.data,
        shipping_rate_id=form.shipping_rate.data, card_number=form.card_number.data,
        idempotency_key=form.idempotency_key.data, discount_code=form.discount_code.data or "",
        messenger_opt_in=bool(form.messenger_opt_in.data),
        messenger_user_ref=get_transport().checkout_user_ref(request.form),
    )


def _shown_fields(form: CheckoutForm, kind) -> set[str]:
    """The fields the form shows, so an error can sit next to its field."""
    hidden = {"discount_code"} if kind.is_facebook else set()
    return set(form._fields) - hidden


def _checkout_args() -> dict:
    return {k: request.args[k] for k in ("variant", "quantity", "source") if k in request.args}


def _render(store, kind, lines, form, error=None, status=200, error_link=None, blocked=False,
            applied_discount=None, discount_feedback=False):
    summary_only = request.method == "GET" and htmx_target() == SUMMARY_TARGET
    if summary_only:
        # The summary follows the shipping rate (and code) chosen, before the order is placed.
        form.shipping_rate.data = request.args.get("shipping_rate", form.shipping_rate.data)
        form.discount_code.data = request.args.get("discount_code", "")
    if not form.idempotency_key.data:
        form.idempotency_key.data = checkouts.new_idempotency_key()
    summary = checkouts.summarize(lines, form.shipping_rate.data, form.discount_code.data, kind)
    context = dict(
        kind=kind, form=form, summary=summary, error=error, error_link=error_link, blocked=blocked,
        applied_discount=applied_discount,
        layout="storefront/_layout.html" if kind.is_facebook else "storefront/_online_store_layout.html",
        action=url_for("storefront.checkout", **_checkout_args()),
        return_to=url_for("storefront.checkout", **_checkout_args()),
        apply_discount=APPLY_DISCOUNT,
        messenger_transport=get_transport(),
        # Meta's checkbox plugin wants a new user_ref for every render, a re-render after an error too.
        messenger_user_ref=secrets.token_urlsafe(24),
    )
    if summary_only and discount_feedback and not kind.is_facebook:
        # "Apply": the summary, and the code's field with its error or confirmation (out of band).
        blocks, context["oob"] = {SUMMARY_TARGET: ("order_summary", "discount_field")}, True
    else:
        blocks = {SUMMARY_TARGET: "order_summary"} if summary_only else {}
    return render_page(TEMPLATE, blocks, status=status, **context)
