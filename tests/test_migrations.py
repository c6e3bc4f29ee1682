"""The committed migrations build exactly the schema the models describe."""
import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import text

from pageshop import create_app
from pageshop.extensions import db
from pageshop.search import model_objects


@pytest.fixture
def empty_app(tmp_path, request):
    if os.environ.get("TEST_DATABASE_URL"):
        # The suite's own PostgreSQL database, emptied into a schema of this test's.
        url = request.getfixturevalue("postgres_url")["url"]
        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            db.session.execute(text("DROP SCHEMA IF EXISTS migrations_check CASCADE"))
            db.session.execute(text("CREATE SCHEMA migrations_check"))
            db.session.commit()
            db.session.remove()
            db.engine.dispose()
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "connect_args": {"options": "-csearch_path=migrations_check"}}
        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url,
                          "SQLALCHEMY_ENGINE_OPTIONS": app.config["SQLALCHEMY_ENGINE_OPTIONS"]})
        yield app
        with app.app_context():
            db.engine.dispose()
        cleanup = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
        with cleanup.app_context():
            db.session.execute(text("DROP SCHEMA IF EXISTS migrations_check CASCADE"))
            db.session.commit()
            db.engine.dispose()
    else:
        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.sqlite'}"})
        yield app
        with app.app_context():
            db.engine.dispose()


def test_migrations_match_the_models(empty_app):
    with empty_app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True,
                                                             "include_object": model_objects(conn.dialect.name)})
            differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_saved_placeholders_move_to_two_braces(empty_app):
    """Saved replies written with `{first_name}` keep working after placeholders took the
    customizations' syntax; a customization saved that way by mistake gets the placeholder it meant."""
    from flask_migrate import downgrade

    with empty_app.app_context():
        upgrade(revision="393479c4698b")
        db.session.execute(text(
            "INSERT INTO saved_replies (id, title, body, created_at) VALUES "
            "(1, 'Thanks', 'Hi {first_name}, order { order_number } ships. {{first_name}} {price}', "
            "'2026-01-01 00:00:00')"))
        db.session.execute(text(
            "INSERT INTO message_templates (id, event, body, promo_note, updated_at) VALUES "
            "(1, 'delivered', 'Delivered, {first_name}!', 'Thanks from {shop_name}', '2026-01-01 00:00:00')"))
        db.session.commit()
        upgrade(revision="5c1d2f7a9e30")
        assert db.session.scalar(text("SELECT body FROM saved_replies")) == (
            "Hi {{ first_name }}, order {{ order_number }} ships. {{first_name}} {price}")
        assert db.session.execute(text("SELECT body, promo_note FROM message_templates")).one() == (
            "Delivered, {{ first_name }}!", "Thanks from {{ shop_name }}")
        db.session.commit()
        downgrade(revision="393479c4698b")
        assert db.session.scalar(text("SELECT body FROM saved_replies")) == (
            "Hi {first_name}, order {order_number} ships. {first_name} {price}")
        db.session.remove()
