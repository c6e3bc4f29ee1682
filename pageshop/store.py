"""The one store of this installation."""
from flask import g, has_request_context
from sqlalchemy.orm import joinedload

from .errors import DomainError
from .extensions import db
from .models import Store


def get_store() -> Store:
    store = find_store()
    if store is None:
        raise DomainError("No store is set up yet. Run `flask seed` or create one.")
    return store


def find_store() -> Store | None:
    """The store with its Page, read once per request: the view and every template's header ask
    for them."""
    if has_request_context() and "the_store" in g:
        return g.the_store
    store = db.session.scalars(
        db.select(Store).options(joinedload(Store.facebook_page)).order_by(Store.id).limit(1)).first()
    if has_request_context() and store is not None:
        g.the_store = store
    return store
