"""The one store of this installation."""
from .errors import DomainError
from .extensions import db
from .models import Store


def get_store() -> Store:
    store = db.session.scalars(db.select(Store).order_by(Store.id).limit(1)).first()
    if store is None:
        raise DomainError("No store is set up yet. Run `flask seed` or create one.")
    return store


def find_store() -> Store | None:
    return db.session.scalars(db.select(Store).order_by(Store.id).limit(1)).first()
