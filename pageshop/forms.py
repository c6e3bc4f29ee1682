"""The form both blueprints share; each blueprint's own forms are in its forms.py."""
from flask_wtf import FlaskForm


class TokenForm(FlaskForm):
    """A button that only needs the CSRF token."""
