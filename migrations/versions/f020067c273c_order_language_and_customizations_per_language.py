"""An order keeps the shopper's language; customizations are per language; timeline events keep
their values, not their text (issue 14).

Orders and customizations made before this revision were English. Events written before it keep
the text they were written with.

Revision ID: f020067c273c
Revises: 3e9b7c41d2a8
Create Date: 2026-12-01 18:40:00.000000

"""
import sqlalchemy as sa
from alembic import op

revision = 'f020067c273c'
down_revision = '3e9b7c41d2a8'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locale', sa.String(length=10), server_default='en', nullable=False))
    with op.batch_alter_table('message_templates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locale', sa.String(length=10), server_default='en', nullable=False))
        batch_op.drop_constraint('uq_message_templates_event', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_message_templates_event_locale'), ['event', 'locale'])
    with op.batch_alter_table('order_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('params', sa.JSON(), server_default='{}', nullable=False))


def downgrade():
    with op.batch_alter_table('order_events', schema=None) as batch_op:
        batch_op.drop_column('params')
    # Only one customization per event fits the older schema: the English one stays.
    op.execute("DELETE FROM message_templates WHERE locale <> 'en'")
    with op.batch_alter_table('message_templates', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_message_templates_event_locale'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_message_templates_event'), ['event'])
        batch_op.drop_column('locale')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_column('locale')
