"""S1: the Facebook Page with its "Home" and "Shop" tabs."""
from flask import render_template

from . import bp


@bp.get("/")
def page():
    return render_template("storefront/page.html", active_tab="home")
