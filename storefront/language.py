"""The language switch in the storefront's footer (the admin has its own: admin.choose_language)."""
from flask import redirect, render_template, url_for
from flask_babel import gettext as _

from pageshop.forms import LanguageForm
from pageshop.languages import remember_language
from pageshop.urls import safe_next

from . import bp


def language_chosen(form: LanguageForm, default: str):
    """Back to the page the switch was on (a path on this site only), in the chosen language."""
    if not form.validate_on_submit():
        message = next(iter(form.errors.values()))[0]
        return render_template("error.html", title=_("Language"), message=message), 400
    response = redirect(safe_next(form.next.data, default), code=303)
    return remember_language(response, form.language.data)


@bp.post("/language")
def choose_language():
    return language_chosen(LanguageForm(), url_for("storefront.page"))
