"""Search by index and lists that stay flat as data grows (issue 12).

Products and orders keep their searched text folded (accents and case removed) in `search_text`,
indexed by trigrams: an FTS5 table kept in step by triggers on SQLite, a pg_trgm GIN index on
PostgreSQL. The listings' indexes end with their keyset cursor (title or placed_at, then id).

Revision ID: 5c1e0a7d9b42
Revises: fb8998daf67d
Create Date: 2026-11-27 15:10:00.000000

"""
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = '5c1e0a7d9b42'
down_revision = 'fb8998daf67d'
branch_labels = None
depends_on = None

SEARCHED = {"products": "products_search", "orders": "orders_search"}


def _fold(text):
    # pageshop.search.fold as of this revision: a revision does not change with the code.
    decomposed = unicodedata.normalize("NFKD", text or "")
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).casefold().split())


def _backfill(table, folded, columns):
    """Set each column of `folded` from the row's `columns`, 5,000 rows at a time."""
    connection = op.get_bind()
    rows = connection.execute(sa.text(f"SELECT id, {', '.join(columns)} FROM {table}")).all()
    assignments = ", ".join(f"{name} = :{name}" for name in folded)
    update = sa.text(f"UPDATE {table} SET {assignments} WHERE id = :id")
    for start in range(0, len(rows), 5000):
        connection.execute(update, [
            {"id": row[0], **{name: fold(*row[1:]) for name, fold in folded.items()}}
            for row in rows[start:start + 5000]])


def _sqlite_index(table):
    fts = SEARCHED[table]
    add = f"INSERT INTO {fts}(rowid, search_text) VALUES (new.id, new.search_text);"
    remove = f"INSERT INTO {fts}({fts}, rowid, search_text) VALUES ('delete', old.id, old.search_text);"
    op.execute(f"CREATE VIRTUAL TABLE {fts} USING fts5(search_text, content='{table}', "
               f"content_rowid='id', tokenize='trigram')")
    op.execute(f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN {add} END")
    op.execute(f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN {remove} END")
    op.execute(f"CREATE TRIGGER {fts}_update AFTER UPDATE OF search_text ON {table} "
               f"BEGIN {remove} {add} END")
    op.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")


def upgrade():
    for table in SEARCHED:
        op.add_column(table, sa.Column('search_text', sa.Text(), server_default='', nullable=False))
    op.add_column('orders', sa.Column('search_email', sa.String(length=254), server_default='',
                                      nullable=False))
    _backfill("products", {"search_text": lambda title: _fold(title)}, ["title"])
    _backfill("orders", {
        "search_text": lambda first, last, email: _fold(f"{first or ''} {last or ''} {email or ''}"),
        "search_email": lambda first, last, email: _fold(email),
    }, ["first_name", "last_name", "email"])

    op.drop_index('ix_products_facebook_title', table_name='products')
    op.drop_index('ix_products_online_title', table_name='products')
    op.create_index('ix_products_facebook_title', 'products', ['published_facebook', 'title', 'id'])
    op.create_index('ix_products_online_title', 'products', ['published_online_store', 'title', 'id'])
    op.drop_index('ix_orders_fulfillment_status', table_name='orders')
    op.drop_index('ix_orders_placed_at', table_name='orders')
    op.create_index('ix_orders_placed_at_id', 'orders', ['placed_at', 'id'])
    op.create_index('ix_orders_status_placed_at', 'orders', ['fulfillment_status', 'placed_at', 'id'])
    op.create_index('ix_orders_channel_placed_at', 'orders', ['sales_channel', 'placed_at', 'id'])
    op.create_index('ix_orders_search_email', 'orders', ['search_email'])
    op.drop_index('ix_conversations_last_message_at', table_name='conversations')
    op.create_index('ix_conversations_last_message_at_id', 'conversations', ['last_message_at', 'id'])
    op.create_index('ix_product_collections_collection_id', 'product_collections',
                    ['collection_id', 'product_id'])

    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        # The operator class lives where the extension was installed, maybe outside search_path.
        schema = op.get_bind().scalar(sa.text(
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
            "WHERE e.extname = 'pg_trgm'"))
        for table in SEARCHED:
            op.execute(f'CREATE INDEX ix_{table}_search_text ON {table} '
                       f'USING gin (search_text "{schema}".gin_trgm_ops)')
    else:
        for table in SEARCHED:
            _sqlite_index(table)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in SEARCHED:
            op.drop_index(f'ix_{table}_search_text', table_name=table)
    else:
        for fts in SEARCHED.values():
            for trigger in ("insert", "delete", "update"):
                op.execute(f"DROP TRIGGER {fts}_{trigger}")
            op.execute(f"DROP TABLE {fts}")
    op.drop_index('ix_product_collections_collection_id', table_name='product_collections')
    op.drop_index('ix_conversations_last_message_at_id', table_name='conversations')
    op.create_index('ix_conversations_last_message_at', 'conversations', ['last_message_at'])
    op.drop_index('ix_orders_search_email', table_name='orders')
    op.drop_index('ix_orders_channel_placed_at', table_name='orders')
    op.drop_index('ix_orders_status_placed_at', table_name='orders')
    op.drop_index('ix_orders_placed_at_id', table_name='orders')
    op.create_index('ix_orders_placed_at', 'orders', ['placed_at'])
    op.create_index('ix_orders_fulfillment_status', 'orders', ['fulfillment_status'])
    op.drop_index('ix_products_online_title', table_name='products')
    op.drop_index('ix_products_facebook_title', table_name='products')
    op.create_index('ix_products_online_title', 'products', ['published_online_store', 'title'])
    op.create_index('ix_products_facebook_title', 'products', ['published_facebook', 'title'])
    # Not a batch: rebuilding the table on SQLite would cascade to its variants and lines.
    op.execute("ALTER TABLE orders DROP COLUMN search_email")
    for table in SEARCHED:
        op.execute(f"ALTER TABLE {table} DROP COLUMN search_text")
