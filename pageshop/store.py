"""The one store of this installation."""
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
    """The store with its Page, read once per database session (a request): the view and every
    template's header ask for them."""
    store = db.session.info.get("store")
    if store is None or store not in db.session:
        store = db.session.scalars(db.select(Store).options(joinedload(Store.facebook_page))
                                   .order_by(Store.id).limit(1)).first()
        db.session.info["store"] = store
    return store
