"""Each test starts from a database of its own, copied from one made once per test process: empty
unless the test asks for `store`, then holding the demo shop exactly as make_shop makes it."""
from pageshop import create_app
from pageshop.extensions import db

from . import factories
from .conftest import _test_config


def _contents() -> dict:
    """Every table's rows in id order, without the times and password hashes (they change each run)."""
    changing = {"created_at", "password_hash"}
    return {
        table.name: [{name: value for name, value in row._asdict().items() if name not in changing}
                     for row in db.session.execute(table.select().order_by(*table.primary_key.columns))]
        # The catalog's version starts at a random number (pageshop.models.first_catalog_version).
        for table in db.metadata.sorted_tables if table.name != "catalog_version"
    }


def test_without_store_every_table_is_empty_and_ids_start_at_one(app):
    assert {name: rows for name, rows in _contents().items() if rows} == {}
    product = factories.make_product()
    assert (product.id, product.variants[0].id) == (1, 1)


def test_store_is_the_demo_shop_as_make_shop_makes_it(app, store, tmp_path):
    seen = _contents()
    reference = create_app(_test_config(f"sqlite:///{tmp_path / 'reference.sqlite'}", tmp_path))
    with reference.app_context():
        db.create_all()
        factories.make_shop()
        made = _contents()
        db.session.remove()
        db.engine.dispose()
    assert seen["stores"] and seen["admin_users"] and seen["facebook_accounts"]
    assert seen == made
    assert store.id == 1 and store.name == "Maple & Thread"


def test_ids_count_on_from_the_shop(app, store):
    assert factories.make_facebook_account("kim@example.com", "Kim Lee").id == 3
    assert factories.make_product().id == 1


def test_the_shop_accounts_sign_in_with_the_demo_password(client, auth, store):
    assert auth.sign_in().status_code == 303
    assert auth.facebook_login("sam@example.com").status_code == 303
