"""Messenger order updates exactly once: the channel's pause (shared by every worker), the try on
its way kept for its echo, a retry budget in time, the "unconfirmed" and "emailed" states; the
shopper's picture; why the channel is held.

Revision ID: fb8998daf67d
Revises: 5c1d2f7a9e30
Create Date: 2026-12-01 15:00:48.983143

"""
import sqlalchemy as sa
from alembic import op

NOTIFICATION_STATES = "state IN ('queued','sending','unconfirmed','sent','emailed','skipped','failed','held')"
OLD_NOTIFICATION_STATES = "state IN ('queued','sending','sent','skipped','failed','held')"


# revision identifiers, used by Alembic.
revision = 'fb8998daf67d'
down_revision = '5c1d2f7a9e30'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('messenger_pauses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('failing_since', sa.DateTime(), nullable=True),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('next_probe_at', sa.DateTime(), nullable=True),
    sa.Column('probe_until', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_messenger_pauses')),
    sa.UniqueConstraint('channel', name=op.f('uq_messenger_pauses_channel'))
    )
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('picture_url', sa.String(length=1000), nullable=True))
        batch_op.add_column(sa.Column('profile_checked_at', sa.DateTime(), nullable=True))

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('budget_started_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('outgoing', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('resent_unconfirmed', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('rebuilt_as_utility', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.alter_column('state',
               existing_type=sa.VARCHAR(length=10),
               type_=sa.String(length=12),
               existing_nullable=False)
        batch_op.drop_constraint(op.f('ck_notifications_state'), type_='check')
        batch_op.create_check_constraint('state', NOTIFICATION_STATES)
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.alter_column('resent_unconfirmed', server_default=None)
        batch_op.alter_column('rebuilt_as_utility', server_default=None)
    # The retry budget of updates already queued runs from when they were queued.
    op.execute("UPDATE notifications SET budget_started_at = created_at")

    with op.batch_alter_table('stores', schema=None) as batch_op:
        batch_op.add_column(sa.Column('messenger_hold_reason', sa.Text(), nullable=True))



def downgrade():
    with op.batch_alter_table('stores', schema=None) as batch_op:
        batch_op.drop_column('messenger_hold_reason')

    # The new states have no older name: such updates become what the older code knows.
    op.execute("UPDATE notifications SET state = 'sending' WHERE state = 'unconfirmed'")
    op.execute("UPDATE notifications SET state = 'sent' WHERE state = 'emailed'")
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_notifications_state'), type_='check')
        batch_op.create_check_constraint('state', OLD_NOTIFICATION_STATES)
        batch_op.alter_column('state',
               existing_type=sa.String(length=12),
               type_=sa.VARCHAR(length=10),
               existing_nullable=False)
        batch_op.drop_column('rebuilt_as_utility')
        batch_op.drop_column('resent_unconfirmed')
        batch_op.drop_column('outgoing')
        batch_op.drop_column('budget_started_at')

    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.drop_column('profile_checked_at')
        batch_op.drop_column('picture_url')

    op.drop_table('messenger_pauses')
