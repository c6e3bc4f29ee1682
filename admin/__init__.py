"""The merchant's admin. Every route needs a signed-in admin, except signing in itself."""
from flask import Blueprint, request, url_for

from pageshop.sessions import current_admin
from pageshop.templating import redirect_whole_page

bp = Blueprint("admin", __name__)

PUBLIC_ENDPOINTS = {"admin.sign_in"}


@bp.before_request
def require_admin():
    if request.endpoint in PUBLIC_ENDPOINTS or current_admin() is not None:
        return None
    target = url_for("admin.sign_in", next=request.full_path if request.method == "GET" else None)
    return redirect_whole_page(target)


from . import auth, catalog, channels, conversations, customizations, emails, messenger, orders  # noqa: E402,F401
