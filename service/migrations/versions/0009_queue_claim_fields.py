"""queue: claim fields kept on queue_entries so totals are single-table counts

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

CLAIMS_INDEX = ['open', 'stage', 'claimed_by', 'assigned_to', 'claim_expires_at', 'first_marker', 'second_marker',
                'agreement', 'rubric_id', 'version']


def upgrade() -> None:
    with op.batch_alter_table('queue_entries') as batch:
        batch.add_column(sa.Column('double_marking', sa.Boolean(), nullable=True))
        batch.add_column(sa.Column('claimed_by', sa.String(length=32), nullable=True))
        batch.add_column(sa.Column('claim_expires_at', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('assigned_to', sa.String(length=32), nullable=True))
        batch.add_column(sa.Column('agreement', sa.Float(), nullable=True))
        batch.add_column(sa.Column('first_marker', sa.String(length=32), nullable=True))
        batch.add_column(sa.Column('second_marker', sa.String(length=32), nullable=True))
    _backfill(op.get_bind())
    op.drop_index('ix_queue_entries_stage', table_name='queue_entries')
    op.create_index('ix_queue_entries_claims', 'queue_entries', CLAIMS_INDEX, unique=False)


def _backfill(conn: sa.Connection) -> None:
    """Every entry with an assessment gets its stage, claim, assignment and agreement, and who
    released its first and second markings (one statement each; entries no one has claimed keep
    nulls: first stage, unclaimed, unassigned)."""
    entries = sa.table('queue_entries', *(sa.column(n) for n in (
        'submission_id', 'stage', 'open', 'double_marking', 'claimed_by', 'claim_expires_at', 'assigned_to',
        'agreement', 'first_marker', 'second_marker')))
    a = sa.table('assessments', *(sa.column(n) for n in (
        'submission_id', 'stage', 'double_marking', 'claimed_by', 'claim_expires_at', 'assigned_to', 'agreement')))
    d = sa.table('decisions', *(sa.column(n) for n in ('submission_id', 'assessor_id', 'role', 'state')))

    def of_assessment(name: str) -> sa.ScalarSelect:  # type: ignore[type-arg]
        return sa.select(a.c[name]).where(a.c.submission_id == entries.c.submission_id).scalar_subquery()

    has_row = sa.exists().where(a.c.submission_id == entries.c.submission_id)
    conn.execute(entries.update().where(has_row).values(
        stage=of_assessment('stage'), **{n: of_assessment(n) for n in (
            'double_marking', 'claimed_by', 'claim_expires_at', 'assigned_to', 'agreement')}))
    conn.execute(entries.update().values(open=entries.c.stage != 'released'))
    for role, column in (('first', 'first_marker'), ('second', 'second_marker')):
        final = sa.and_(d.c.submission_id == entries.c.submission_id, d.c.role == role, d.c.state == 'final')
        conn.execute(entries.update().where(sa.exists().where(final)).values(
            {column: sa.select(sa.func.min(d.c.assessor_id)).where(final).scalar_subquery()}))


def downgrade() -> None:
    op.drop_index('ix_queue_entries_claims', table_name='queue_entries')
    op.create_index('ix_queue_entries_stage', 'queue_entries', ['open', 'stage', 'rubric_id', 'version', 'job_id'],
                    unique=False)
    with op.batch_alter_table('queue_entries') as batch:
        for name in ('second_marker', 'first_marker', 'agreement', 'assigned_to', 'claim_expires_at', 'claimed_by',
                     'double_marking'):
            batch.drop_column(name)
