"""queue: per (MC, version, stage) counts kept by triggers; index ranges for the caller's entries

The queue's totals no longer step through every open entry (service/queue.py, ``_fast_totals``):
``queue_counts`` holds, per (rubric_id, version, stage), how many entries there are and how many
are free (unassigned, and unclaimed or with no expiry), kept current by triggers on
``queue_entries`` (inserts, deletes including cascades, and updates of the columns that decide
the group or freedom). Claims that run out are not stored as free: they are counted by a range of
``ix_queue_entries_assigned`` on ``claim_expires_at``, so "claimable" stays exact when a claim
expires without any write. Four covering indexes give the ranges for the entries that involve the
caller (assigned to them, marked by them) and for reconciliation below the agreement bar.

Note for later migrations: on SQLite, ``batch_alter_table('queue_entries')`` recreates the table
and drops these triggers; create them again after it (``create_triggers``).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

INDEXES = {
    'ix_queue_entries_assigned': ['open', 'assigned_to', 'stage', 'claim_expires_at', 'claimed_by', 'first_marker',
                                  'second_marker', 'rubric_id', 'version'],
    'ix_queue_entries_first_marker': ['open', 'first_marker', 'stage', 'assigned_to', 'claim_expires_at',
                                      'claimed_by', 'second_marker', 'rubric_id', 'version'],
    'ix_queue_entries_second_marker': ['open', 'second_marker', 'stage', 'assigned_to', 'claim_expires_at',
                                       'claimed_by', 'first_marker', 'rubric_id', 'version'],
    'ix_queue_entries_agreement': ['open', 'stage', 'agreement', 'assigned_to', 'claim_expires_at', 'claimed_by',
                                   'first_marker', 'second_marker', 'rubric_id', 'version'],
}


def _free(row: str) -> str:
    """SQL: the entry is free (no assignment, no claim that could be live): 1 or 0."""
    return (f"CASE WHEN {row}.assigned_to IS NULL AND ({row}.claimed_by IS NULL OR {row}.claim_expires_at IS NULL) "
            "THEN 1 ELSE 0 END")


def _add(row: str, excluded_prefix: str) -> str:
    return (f"INSERT INTO queue_counts (rubric_id, version, stage, n, n_free) "
            f"VALUES ({row}.rubric_id, {row}.version, {row}.stage, 1, {_free(row)}) "
            f"ON CONFLICT (rubric_id, version, stage) DO UPDATE SET n = {excluded_prefix}n + 1, "
            f"n_free = {excluded_prefix}n_free + excluded.n_free;")


def _remove(row: str) -> str:
    return (f"UPDATE queue_counts SET n = n - 1, n_free = n_free - {_free(row)} "
            f"WHERE rubric_id = {row}.rubric_id AND version = {row}.version AND stage = {row}.stage;")


def _changed(same: str) -> str:
    return " OR ".join([f"OLD.{c} {same} NEW.{c}" for c in ('rubric_id', 'version', 'stage')]
                       + [f"({_free('OLD')}) <> ({_free('NEW')})"])


WATCHED = 'rubric_id, version, stage, claimed_by, claim_expires_at, assigned_to'


def create_triggers(conn: sa.Connection) -> None:
    if conn.dialect.name == 'sqlite':
        conn.exec_driver_sql(f"CREATE TRIGGER queue_counts_insert AFTER INSERT ON queue_entries "
                             f"BEGIN {_add('NEW', '')} END")
        conn.exec_driver_sql(f"CREATE TRIGGER queue_counts_delete AFTER DELETE ON queue_entries "
                             f"BEGIN {_remove('OLD')} END")
        conn.exec_driver_sql(f"CREATE TRIGGER queue_counts_update AFTER UPDATE OF {WATCHED} ON queue_entries "
                             f"WHEN {_changed('IS NOT')} BEGIN {_remove('OLD')} {_add('NEW', '')} END")
        return
    conn.exec_driver_sql(f"""
        CREATE FUNCTION queue_counts_track() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP IN ('UPDATE', 'DELETE') THEN
                {_remove('OLD')}
            END IF;
            IF TG_OP IN ('UPDATE', 'INSERT') THEN
                {_add('NEW', 'queue_counts.')}
            END IF;
            RETURN NULL;
        END $$""")
    conn.exec_driver_sql("CREATE TRIGGER queue_counts_insert AFTER INSERT ON queue_entries "
                         "FOR EACH ROW EXECUTE FUNCTION queue_counts_track()")
    conn.exec_driver_sql("CREATE TRIGGER queue_counts_delete AFTER DELETE ON queue_entries "
                         "FOR EACH ROW EXECUTE FUNCTION queue_counts_track()")
    conn.exec_driver_sql(f"CREATE TRIGGER queue_counts_update AFTER UPDATE OF {WATCHED} ON queue_entries "
                         f"FOR EACH ROW WHEN ({_changed('IS DISTINCT FROM')}) EXECUTE FUNCTION queue_counts_track()")


def drop_triggers(conn: sa.Connection) -> None:
    for name in ('queue_counts_insert', 'queue_counts_delete', 'queue_counts_update'):
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}" + ("" if conn.dialect.name == 'sqlite'
                                                                 else " ON queue_entries"))
    if conn.dialect.name != 'sqlite':
        conn.exec_driver_sql("DROP FUNCTION IF EXISTS queue_counts_track()")


def upgrade() -> None:
    op.create_table('queue_counts',
    sa.Column('rubric_id', sa.String(length=200), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('stage', sa.String(length=16), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.Column('n_free', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('rubric_id', 'version', 'stage')
    )
    for name, columns in INDEXES.items():
        op.create_index(name, 'queue_entries', columns, unique=False)
    conn = op.get_bind()
    conn.exec_driver_sql(
        "INSERT INTO queue_counts (rubric_id, version, stage, n, n_free) "
        f"SELECT rubric_id, version, stage, count(*), sum({_free('queue_entries')}) FROM queue_entries "
        "GROUP BY rubric_id, version, stage")
    create_triggers(conn)


def downgrade() -> None:
    drop_triggers(op.get_bind())
    for name in INDEXES:
        op.drop_index(name, table_name='queue_entries')
    op.drop_table('queue_counts')
