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
