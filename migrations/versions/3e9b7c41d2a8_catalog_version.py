"""The catalog's version: one row moved on by every change to what the catalog pages show, so that
cached pages are never served stale (issue 12, pageshop.page_cache).

Revision ID: 3e9b7c41d2a8
Revises: c8e8ebf30db2
Create Date: 2026-12-01 18:50:00.000000

"""
import secrets

import sqlalchemy as sa
from alembic import op

revision = '3e9b7c41d2a8'
down_revision = "c8e8ebf30db2"
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table(
        'catalog_version',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('value', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_version')),
    )
    # A random start, as pageshop.models.first_catalog_version: no two databases share a version.
    op.bulk_insert(table, [{'id': 1, 'value': secrets.randbits(48)}])


def downgrade():
    op.drop_table('catalog_version')
