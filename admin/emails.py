"""A9 (e-mail half): every e-mail the shop sent or tried to send, with its state."""
from flask import render_template, request

from pageshop.extensions import db
from pageshop.ids import parse_page
from pageshop.models import Email
from pageshop.templating import render_page

from . import bp

EMAILS_PER_PAGE = 50


@bp.get("/emails")
def email_log():
    emails = db.paginate(db.select(Email).order_by(Email.created_at.desc(), Email.id.desc()),
                         page=parse_page(request.args.get("page")), per_page=EMAILS_PER_PAGE,
                         error_out=False)
    return render_page("admin/emails.html", {"email-results": "results"}, emails=emails)


@bp.get("/emails/<int:email_id>")
def email_detail(email_id):
    email = db.get_or_404(Email, email_id)
    return render_template("admin/email_detail.html", email=email)
