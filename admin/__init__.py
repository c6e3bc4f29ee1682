"""The merchant's admin. Every route needs a signed-in admin, except signing in itself."""
from flask import Blueprint, redirect, request, url_for

from pageshop.sessions import current_admin

bp = Blueprint("admin", __name__)

PUBLIC_ENDPOINTS = {"admin.sign_in"}


@bp.before_request
def require_admin():
    if request.endpoint in PUBLIC_ENDPOINTS or current_admin() is not None:
        return None
    target = url_for("admin.sign_in", next=request.full_path if request.method == "GET" else None)
    if request.headers.get("HX-Request"):
        return "", 401, {"HX-Redirect": target}
    return redirect(target)


from . import auth, catalog, channels, conversations, customizations, emails, messenger, orders  # noqa: E402,F401
