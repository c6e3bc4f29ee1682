"""The admin user's language, chosen with the admin's language switch (issue 14).

Revision ID: c8e8ebf30db2
Revises: 5c1e0a7d9b42
Create Date: 2026-12-01 18:50:00.000000

"""
import sqlalchemy as sa
from alembic import op

revision = 'c8e8ebf30db2'
down_revision = '5c1e0a7d9b42'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("admin_users") as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=8), nullable=True))


def downgrade():
    with op.batch_alter_table("admin_users") as batch_op:
        batch_op.drop_column("language")
