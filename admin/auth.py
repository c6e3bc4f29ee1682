"""A1: the merchant signs in and out."""
from flask import redirect, render_template, request, url_for

from pageshop.accounts import authenticate_admin
from pageshop.errors import DomainError
from pageshop.forms import LanguageForm
from pageshop.languages import set_admin_language
from pageshop.sessions import current_admin, sign_in_admin, sign_out_admin
from pageshop.throttling import note_failed_sign_in, throttled
from pageshop.urls import safe_next
from storefront.language import language_chosen

from . import bp
from .forms import SignInForm, TokenForm


@bp.route("/sign-in", methods=["GET", "POST"])
@throttled("admin/sign_in.html", SignInForm)
def sign_in():
    form = SignInForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    error = None
    if form.validate_on_submit():
        try:
            user = authenticate_admin(form.email.data, form.password.data)
        except DomainError as exc:
            error = exc.message
            note_failed_sign_in()
        else:
            sign_in_admin(user)
            return redirect(safe_next(form.next.data, url_for("admin.orders")), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("admin/sign_in.html", form=form, error=error), status


@bp.get("/")
def home():
    return redirect(url_for("admin.orders"))


@bp.post("/sign-out")
def sign_out():
    if TokenForm().validate_on_submit():
        sign_out_admin()
    return redirect(url_for("admin.sign_in"), code=303)


@bp.post("/language")
def choose_language():
    """The admin's language switch: the choice is kept on the account too, for the next sign-in
    from another browser."""
    form = LanguageForm()
    if form.validate_on_submit():
        set_admin_language(current_admin(), form.language.data)
    return language_chosen(form, url_for("admin.orders"))
