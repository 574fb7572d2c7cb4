"""queue counts: readiness counts beside each report, report_flag_codes, queue_entries; backfilled

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

COUNT_COLUMNS = ('met', 'weak', 'missing', 'flags_error', 'flags_warning', 'flags_info')
BATCH = 500


def upgrade() -> None:
    with op.batch_alter_table('reports') as batch:
        for name in COUNT_COLUMNS:
            batch.add_column(sa.Column(name, sa.Integer(), server_default='0', nullable=False))
    op.create_table('report_flag_codes',
    sa.Column('job_id', sa.String(length=32), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['reports.job_id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('job_id', 'code')
    )
    op.create_index('ix_report_flag_codes_code', 'report_flag_codes', ['code', 'job_id'], unique=False)
    op.create_table('queue_entries',
    sa.Column('submission_id', sa.String(length=32), nullable=False),
    sa.Column('job_id', sa.String(length=32), nullable=False),
    sa.Column('rubric_id', sa.String(length=200), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=False),
    sa.Column('stage', sa.String(length=16), nullable=False),
    sa.Column('open', sa.Boolean(), nullable=False),
    sa.Column('missing', sa.Integer(), nullable=False),
    sa.Column('weak', sa.Integer(), nullable=False),
    sa.Column('flag_total', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['reports.job_id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('submission_id'),
    sa.UniqueConstraint('job_id')
    )
    op.create_index('ix_queue_entries_waiting', 'queue_entries', ['open', 'submitted_at', 'submission_id'])
    op.create_index('ix_queue_entries_missing', 'queue_entries',
                    ['open', 'missing', 'weak', 'submitted_at', 'submission_id'])
    op.create_index('ix_queue_entries_flags', 'queue_entries', ['open', 'flag_total', 'submitted_at', 'submission_id'])
    op.create_index('ix_queue_entries_version', 'queue_entries', ['open', 'version', 'submitted_at', 'submission_id'])
    op.create_index('ix_queue_entries_stage', 'queue_entries', ['open', 'stage', 'rubric_id', 'version', 'job_id'])
    op.create_index('ix_queue_entries_rubric', 'queue_entries', ['rubric_id', 'open', 'submitted_at', 'submission_id'])
    _backfill(op.get_bind())


def _backfill(conn: sa.Connection) -> None:
    """Counts for every stored report (read from its JSON, in batches), then one queue entry per
    submitted submission with a screening report (its newest finished one, as the queue chose)."""
    from service.readiness import counts_of_json

    reports = sa.table('reports', sa.column('job_id', sa.String), sa.column('report_json', sa.Text),
                       *(sa.column(n, sa.Integer) for n in COUNT_COLUMNS))
    codes = sa.table('report_flag_codes', sa.column('job_id', sa.String), sa.column('code', sa.String),
                     sa.column('count', sa.Integer))
    jobs = sa.table('jobs', sa.column('id', sa.String), sa.column('submission_id', sa.String),
                    sa.column('purpose', sa.String), sa.column('finished_at', sa.DateTime))
    subs = sa.table('submissions', sa.column('id', sa.String), sa.column('rubric_id', sa.String),
                    sa.column('version', sa.Integer), sa.column('status', sa.String),
                    sa.column('submitted_at', sa.DateTime), sa.column('created_at', sa.DateTime))
    assessments = sa.table('assessments', sa.column('submission_id', sa.String), sa.column('stage', sa.String))
    entries = sa.table('queue_entries', *(sa.column(n) for n in (
        'submission_id', 'job_id', 'rubric_id', 'version', 'submitted_at', 'stage', 'open', 'missing', 'weak',
        'flag_total')))

    after = ''
    while True:  # keyset over job ids: one batch of report texts in memory at a time
        batch = conn.execute(sa.select(reports.c.job_id, reports.c.report_json).where(reports.c.job_id > after)
                             .order_by(reports.c.job_id).limit(BATCH)).all()
        if not batch:
            break
        rows = []
        for job_id, text in batch:
            c = counts_of_json(text)
            conn.execute(reports.update().where(reports.c.job_id == job_id).values(**c.columns()))
            rows += [{'job_id': job_id, 'code': code, 'count': n} for code, n in c.flag_codes.items()]
        if rows:
            conn.execute(codes.insert(), rows)
        after = batch[-1][0]

    found = list(conn.execute(
        sa.select(jobs.c.id, subs.c.id, subs.c.rubric_id, subs.c.version, subs.c.submitted_at, subs.c.created_at,
                  assessments.c.stage, reports.c.missing, reports.c.weak,
                  reports.c.flags_error + reports.c.flags_warning + reports.c.flags_info)
        .select_from(jobs.join(reports, reports.c.job_id == jobs.c.id)
                     .join(subs, subs.c.id == jobs.c.submission_id)
                     .outerjoin(assessments, assessments.c.submission_id == subs.c.id))
        .add_columns(jobs.c.finished_at)
        .where(jobs.c.purpose == 'screening', subs.c.status == 'submitted')
    ))
    found.sort(key=lambda r: (r[-1] is not None, r[-1] or 0, r[0]))  # unfinished first, then by finish time
    newest = {row[1]: tuple(row)[:-1] for row in found}  # the newest finished screening wins
    values = [{'submission_id': sub_id, 'job_id': job_id, 'rubric_id': rubric_id, 'version': version,
               'submitted_at': submitted_at or created_at, 'stage': stage or 'first',
               'open': (stage or 'first') != 'released', 'missing': missing, 'weak': weak, 'flag_total': flags}
              for job_id, sub_id, rubric_id, version, submitted_at, created_at, stage, missing, weak, flags
              in newest.values()]
    for start in range(0, len(values), BATCH):
        conn.execute(entries.insert(), values[start:start + BATCH])


def downgrade() -> None:
    op.drop_table('queue_entries')
    op.drop_table('report_flag_codes')
    with op.batch_alter_table('reports') as batch:
        for name in COUNT_COLUMNS:
            batch.drop_column(name)
