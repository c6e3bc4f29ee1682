"""A subscription remembers when the Platform confirmed its checkbox opt-in.

Revision ID: 393479c4698b
Revises: fe09b773becf
Create Date: 2026-11-26 11:16:18.598316

"""
import sqlalchemy as sa
from alembic import op

revision = '393479c4698b'
down_revision = 'fe09b773becf'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('confirmed_at', sa.DateTime(), nullable=True))
    # Opt-ins made before this revision were messaged without waiting: keep doing so.
    op.execute("UPDATE subscriptions SET confirmed_at = created_at WHERE user_ref IS NOT NULL")


def downgrade():
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.drop_column('confirmed_at')
