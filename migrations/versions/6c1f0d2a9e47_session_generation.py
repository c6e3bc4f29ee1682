"""Admins and Facebook accounts have a session generation: signing out or a new password moves it on,
which ends every copy of their session cookies.

Revision ID: 6c1f0d2a9e47
Revises: 393479c4698b
Create Date: 2026-12-01 10:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

revision = '6c1f0d2a9e47'
down_revision = '393479c4698b'
branch_labels = None
depends_on = None

TABLES = ('admin_users', 'facebook_accounts')


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('session_generation', sa.Integer(), server_default='0',
                                          nullable=False))


def downgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('session_generation')
