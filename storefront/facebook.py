"""Facebook's own log-in, separate from the merchant's admin session."""
from flask import redirect, render_template, request, url_for

from pageshop.accounts import authenticate_facebook
from pageshop.errors import DomainError
from pageshop.sessions import current_facebook_account, log_in_facebook, log_out_facebook
from pageshop.throttling import note_failed_sign_in, throttled
from pageshop.urls import safe_next

from . import bp
from .forms import FacebookLoginForm, TokenForm


@bp.route("/facebook/login", methods=["GET", "POST"])
@throttled("storefront/facebook_login.html", FacebookLoginForm)
def facebook_login():
    form = FacebookLoginForm()
    if request.method == "GET":
        if current_facebook_account() is not None:
            # Logged in already (Back after logging in): on to where the log-in was going.
            return redirect(safe_next(request.args.get("next"), url_for("storefront.page")), code=303)
        form.next.data = request.args.get("next", "")
    error = None
    if form.validate_on_submit():
        try:
            account = authenticate_facebook(form.email.data, form.password.data)
        except DomainError as exc:
            error = exc.message
            note_failed_sign_in()
        else:
            log_in_facebook(account)
            return redirect(safe_next(form.next.data, url_for("storefront.page")), code=303)
    status = 422 if request.method == "POST" else 200
    # Not kept for Back: once logged in, going back asks the server again, which moves on.
    return (render_template("storefront/facebook_login.html", form=form, error=error), status,
            {"Cache-Control": "no-store"})


@bp.post("/facebook/logout")
def facebook_logout():
    form = TokenForm()
    if form.validate_on_submit():
        log_out_facebook()
    return redirect(safe_next(request.form.get("next"), url_for("storefront.page")), code=303)
