"""Saved replies (and customizations saved by mistake that way) write placeholders like the message
customizations do: `{first_name}` becomes `{{ first_name }}`, so nothing a merchant saved breaks
when saved replies are filled in the sandbox.

Revision ID: 5c1d2f7a9e30
Revises: 6c1f0d2a9e47
Create Date: 2026-12-01 15:10:00

"""
import re

import sqlalchemy as sa
from alembic import op

revision = '5c1d2f7a9e30'
down_revision = '6c1f0d2a9e47'
branch_labels = None
depends_on = None

NAMES = "order_number|first_name|tracking_number|tracking_link|shop_name"
SINGLE = re.compile(r"(?<!\{)\{\s*(" + NAMES + r")\s*\}(?!\})")
DOUBLE = re.compile(r"\{\{\s*(" + NAMES + r")\s*\}\}")
# A customization saved with `{first_name}` sent the braces to the shopper: it meant the placeholder.
COLUMNS = {"saved_replies": ("body",), "message_templates": ("body", "promo_note")}


def _rewrite(tables, pattern, replacement):
    connection = op.get_bind()
    for name, columns in tables.items():
        table = sa.table(name, sa.column("id"), *(sa.column(column) for column in columns))
        for row in connection.execute(sa.select(table)).mappings().all():
            changed = {column: pattern.sub(replacement, row[column]) for column in columns
                       if row[column] and pattern.search(row[column])}
            if changed:
                connection.execute(table.update().where(table.c.id == row["id"]).values(**changed))


def upgrade():
    _rewrite(COLUMNS, SINGLE, r"{{ \1 }}")


def downgrade():
    # Saved replies go back to their old syntax; customizations were always meant with two braces.
    _rewrite({"saved_replies": ("body",)}, DOUBLE, r"{\1}")
