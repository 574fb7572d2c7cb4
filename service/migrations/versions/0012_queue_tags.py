"""queue: entries under their flag codes and their people (queue_tags), with counts per flag

The queue's flag filter and ``mine`` filter no longer test every open entry (service/queue.py):
``queue_tags`` holds one row per (entry, tag), where a tag is ``f:`` and a flag code the entry's
report holds, or ``u:`` and the id of the user who holds its claim (live or run out) or to whom it
is assigned, with a copy of what the queue sorts by (one index per order, led by the tag), so a
filtered page is one index range. ``queue_tag_counts`` is ``queue_counts`` per flag tag, so the
flag filter's totals read a few rows. Both are kept by triggers: on ``queue_entries`` (an insert
adds the entry's tags, from ``report_flag_codes`` of its job and its claim and assignment; a delete,
cascades included, removes them; an update of anything copied removes and adds them again) and
on ``queue_tags`` (the counts of flag tags). ``queue_agreement_counts`` holds how many open
reconciliations of each MC and version have each agreement (triggers on ``queue_entries``), so
the count of those below the bar (a setting) sums a few rows.

Note for later migrations: on SQLite, ``batch_alter_table('queue_entries')`` or
``batch_alter_table('queue_tags')`` recreates the table and drops these triggers (and 0011's);
create them again after it (``create_triggers``).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

# One index per order, led by the tag, each column in the order's direction.
INDEXES = {
    'ix_queue_tags_waiting': ['tag', 'open', 'submitted_at', 'submission_id'],
    'ix_queue_tags_missing': ['tag', 'open', sa.text('missing DESC'), sa.text('weak DESC'), 'submitted_at',
                              'submission_id'],
    'ix_queue_tags_flags': ['tag', 'open', sa.text('flag_total DESC'), 'submitted_at', 'submission_id'],
    'ix_queue_tags_version': ['tag', 'open', sa.text('version DESC'), 'submitted_at', 'submission_id'],
    'ix_queue_tags_agreement': ['tag', 'stage', 'agreement', 'rubric_id', 'version'],  # below the bar, per flag
}
# queue_entries' covering indexes for the totals' ranges (0009, 0011), now ending in job_id (a
# flag's probe and the finished-screening test read no table row) and, for the ranges of entries
# assigned to the caller, agreement (reconciliations below the bar among them).
ENTRY_INDEXES = {
    'ix_queue_entries_claims': (['open', 'stage', 'claimed_by', 'assigned_to', 'claim_expires_at', 'first_marker',
                                 'second_marker', 'agreement', 'rubric_id', 'version'], ['job_id']),
    'ix_queue_entries_assigned': (['open', 'assigned_to', 'stage', 'claim_expires_at', 'claimed_by', 'first_marker',
                                   'second_marker', 'rubric_id', 'version'], ['agreement', 'job_id']),
    'ix_queue_entries_first_marker': (['open', 'first_marker', 'stage', 'assigned_to', 'claim_expires_at',
                                       'claimed_by', 'second_marker', 'rubric_id', 'version'], ['job_id']),
    'ix_queue_entries_second_marker': (['open', 'second_marker', 'stage', 'assigned_to', 'claim_expires_at',
                                        'claimed_by', 'first_marker', 'rubric_id', 'version'], ['job_id']),
    'ix_queue_entries_agreement': (['open', 'stage', 'agreement', 'assigned_to', 'claim_expires_at', 'claimed_by',
                                    'first_marker', 'second_marker', 'rubric_id', 'version'], ['job_id']),
}
COLUMNS = ('submission_id, tag, rubric_id, version, submitted_at, stage, open, missing, weak, flag_total, free, '
           'agreement')


def _free(row: str) -> str:
    """SQL: the entry is free (no assignment, no claim that could be live), as 0011 counts it."""
    return f"({row}.assigned_to IS NULL AND ({row}.claimed_by IS NULL OR {row}.claim_expires_at IS NULL))"


def _copied(row: str, tag: str) -> str:
    return (f"{row}.submission_id, {tag}, {row}.rubric_id, {row}.version, {row}.submitted_at, {row}.stage, "
            f"{row}.open, {row}.missing, {row}.weak, {row}.flag_total, {_free(row)}, {row}.agreement")


def _add_tags(row: str) -> str:
    """SQL: the entry's tags, its report's flag codes and the people on it (each once)."""
    flag, person = "'f:' || f.code", "'u:' || w.who"
    return (f"INSERT INTO queue_tags ({COLUMNS}) SELECT {_copied(row, flag)} "
            f"FROM report_flag_codes f WHERE f.job_id = {row}.job_id; "
            f"INSERT INTO queue_tags ({COLUMNS}) SELECT {_copied(row, person)} "
            f"FROM (SELECT {row}.claimed_by AS who UNION SELECT {row}.assigned_to) w WHERE w.who IS NOT NULL;")


def _remove_tags(row: str) -> str:
    return f"DELETE FROM queue_tags WHERE submission_id = {row}.submission_id;"


# What an entry's tags copy or depend on: a change to any of these replaces them.
WATCHED = ('job_id', 'rubric_id', 'version', 'submitted_at', 'stage', 'open', 'missing', 'weak', 'flag_total',
           'claimed_by', 'assigned_to', 'agreement')


def _changed(same: str) -> str:
    return " OR ".join([f"OLD.{c} {same} NEW.{c}" for c in WATCHED] + [f"({_free('OLD')}) <> ({_free('NEW')})"])


def _count_add(excluded_prefix: str) -> str:
    return ("INSERT INTO queue_tag_counts (tag, rubric_id, version, stage, n, n_free) "
            "VALUES (NEW.tag, NEW.rubric_id, NEW.version, NEW.stage, 1, CASE WHEN NEW.free THEN 1 ELSE 0 END) "
            f"ON CONFLICT (tag, rubric_id, version, stage) DO UPDATE SET n = {excluded_prefix}n + 1, "
            f"n_free = {excluded_prefix}n_free + excluded.n_free;")


COUNT_REMOVE = ("UPDATE queue_tag_counts SET n = n - 1, n_free = n_free - CASE WHEN OLD.free THEN 1 ELSE 0 END "
                "WHERE tag = OLD.tag AND rubric_id = OLD.rubric_id AND version = OLD.version AND stage = OLD.stage;")


def _recon(row: str) -> str:
    return f"{row}.stage = 'reconcile' AND {row}.agreement IS NOT NULL"


def _agreement_add(excluded_prefix: str) -> str:
    return ("INSERT INTO queue_agreement_counts (rubric_id, version, agreement, n) "
            "VALUES (NEW.rubric_id, NEW.version, NEW.agreement, 1) "
            f"ON CONFLICT (rubric_id, version, agreement) DO UPDATE SET n = {excluded_prefix}n + 1;")


AGREEMENT_REMOVE = ("UPDATE queue_agreement_counts SET n = n - 1 WHERE rubric_id = OLD.rubric_id "
                    "AND version = OLD.version AND agreement = OLD.agreement;")
AGREEMENT_CHANGED = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}"
                                for c in ('rubric_id', 'version', 'stage', 'agreement'))


def create_triggers(conn: sa.Connection) -> None:
    watched = ", ".join(WATCHED + ('claim_expires_at',))
    if conn.dialect.name == 'sqlite':
        conn.exec_driver_sql(f"CREATE TRIGGER queue_tags_insert AFTER INSERT ON queue_entries "
                             f"BEGIN {_add_tags('NEW')} END")
        conn.exec_driver_sql(f"CREATE TRIGGER queue_tags_delete AFTER DELETE ON queue_entries "
                             f"BEGIN {_remove_tags('OLD')} END")
        conn.exec_driver_sql(f"CREATE TRIGGER queue_tags_update AFTER UPDATE OF {watched} ON queue_entries "
                             f"WHEN {_changed('IS NOT')} BEGIN {_remove_tags('OLD')} {_add_tags('NEW')} END")
        conn.exec_driver_sql("CREATE TRIGGER queue_tag_counts_insert AFTER INSERT ON queue_tags "
                             f"WHEN substr(NEW.tag, 1, 2) = 'f:' BEGIN {_count_add('')} END")
        conn.exec_driver_sql("CREATE TRIGGER queue_tag_counts_delete AFTER DELETE ON queue_tags "
                             f"WHEN substr(OLD.tag, 1, 2) = 'f:' BEGIN {COUNT_REMOVE} END")
        conn.exec_driver_sql("CREATE TRIGGER queue_agreement_insert AFTER INSERT ON queue_entries "
                             f"WHEN {_recon('NEW')} BEGIN {_agreement_add('')} END")
        conn.exec_driver_sql("CREATE TRIGGER queue_agreement_delete AFTER DELETE ON queue_entries "
                             f"WHEN {_recon('OLD')} BEGIN {AGREEMENT_REMOVE} END")
        sqlite_changed = AGREEMENT_CHANGED.replace("IS DISTINCT FROM", "IS NOT")
        conn.exec_driver_sql("CREATE TRIGGER queue_agreement_update_old AFTER UPDATE OF rubric_id, version, stage, "
                             f"agreement ON queue_entries WHEN ({_recon('OLD')}) AND ({sqlite_changed}) "
                             f"BEGIN {AGREEMENT_REMOVE} END")
        conn.exec_driver_sql("CREATE TRIGGER queue_agreement_update_new AFTER UPDATE OF rubric_id, version, stage, "
                             f"agreement ON queue_entries WHEN ({_recon('NEW')}) AND ({sqlite_changed}) "
                             f"BEGIN {_agreement_add('')} END")
        return
    conn.exec_driver_sql(f"""
        CREATE FUNCTION queue_tags_track() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP IN ('UPDATE', 'DELETE') THEN
                {_remove_tags('OLD')}
            END IF;
            IF TG_OP IN ('UPDATE', 'INSERT') THEN
                {_add_tags('NEW')}
            END IF;
            RETURN NULL;
        END $$""")
    conn.exec_driver_sql(f"""
        CREATE FUNCTION queue_tag_counts_track() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                {COUNT_REMOVE}
            ELSE
                {_count_add('queue_tag_counts.')}
            END IF;
            RETURN NULL;
        END $$""")
    conn.exec_driver_sql(f"""
        CREATE FUNCTION queue_agreement_track() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP IN ('UPDATE', 'DELETE') THEN
                IF {_recon('OLD')} THEN
                    {AGREEMENT_REMOVE}
                END IF;
            END IF;
            IF TG_OP IN ('UPDATE', 'INSERT') THEN
                IF {_recon('NEW')} THEN
                    {_agreement_add('queue_agreement_counts.')}
                END IF;
            END IF;
            RETURN NULL;
        END $$""")
    conn.exec_driver_sql("CREATE TRIGGER queue_agreement_insert AFTER INSERT ON queue_entries "
                         "FOR EACH ROW EXECUTE FUNCTION queue_agreement_track()")
    conn.exec_driver_sql("CREATE TRIGGER queue_agreement_delete AFTER DELETE ON queue_entries "
                         "FOR EACH ROW EXECUTE FUNCTION queue_agreement_track()")
    conn.exec_driver_sql("CREATE TRIGGER queue_agreement_update AFTER UPDATE OF rubric_id, version, stage, agreement "
                         f"ON queue_entries FOR EACH ROW WHEN ({AGREEMENT_CHANGED}) "
                         "EXECUTE FUNCTION queue_agreement_track()")
    conn.exec_driver_sql("CREATE TRIGGER queue_tags_insert AFTER INSERT ON queue_entries "
                         "FOR EACH ROW EXECUTE FUNCTION queue_tags_track()")
    conn.exec_driver_sql("CREATE TRIGGER queue_tags_delete AFTER DELETE ON queue_entries "
                         "FOR EACH ROW EXECUTE FUNCTION queue_tags_track()")
    conn.exec_driver_sql(f"CREATE TRIGGER queue_tags_update AFTER UPDATE OF {watched} ON queue_entries "
                         f"FOR EACH ROW WHEN ({_changed('IS DISTINCT FROM')}) EXECUTE FUNCTION queue_tags_track()")
    conn.exec_driver_sql("CREATE TRIGGER queue_tag_counts_insert AFTER INSERT ON queue_tags FOR EACH ROW "
                         "WHEN (substr(NEW.tag, 1, 2) = 'f:') EXECUTE FUNCTION queue_tag_counts_track()")
    conn.exec_driver_sql("CREATE TRIGGER queue_tag_counts_delete AFTER DELETE ON queue_tags FOR EACH ROW "
                         "WHEN (substr(OLD.tag, 1, 2) = 'f:') EXECUTE FUNCTION queue_tag_counts_track()")


def drop_triggers(conn: sa.Connection) -> None:
    for name, table in (('queue_agreement_insert', 'queue_entries'), ('queue_agreement_delete', 'queue_entries'),
                        ('queue_agreement_update', 'queue_entries'), ('queue_agreement_update_old', 'queue_entries'),
                        ('queue_agreement_update_new', 'queue_entries'),
                        ('queue_tags_insert', 'queue_entries'), ('queue_tags_delete', 'queue_entries'),
                        ('queue_tags_update', 'queue_entries'), ('queue_tag_counts_insert', 'queue_tags'),
                        ('queue_tag_counts_delete', 'queue_tags')):
        on = "" if conn.dialect.name == 'sqlite' else f" ON {table}"
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}{on}")
    if conn.dialect.name != 'sqlite':
        conn.exec_driver_sql("DROP FUNCTION IF EXISTS queue_tags_track()")
        conn.exec_driver_sql("DROP FUNCTION IF EXISTS queue_tag_counts_track()")
        conn.exec_driver_sql("DROP FUNCTION IF EXISTS queue_agreement_track()")


def upgrade() -> None:
    op.create_table('queue_tags',
    sa.Column('submission_id', sa.String(length=32), nullable=False),
    sa.Column('tag', sa.String(length=100), nullable=False),
    sa.Column('rubric_id', sa.String(length=200), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=False),
    sa.Column('stage', sa.String(length=16), nullable=False),
    sa.Column('open', sa.Boolean(), nullable=False),
    sa.Column('missing', sa.Integer(), nullable=False),
    sa.Column('weak', sa.Integer(), nullable=False),
    sa.Column('flag_total', sa.Integer(), nullable=False),
    sa.Column('free', sa.Boolean(), nullable=False),
    sa.Column('agreement', sa.Float(), nullable=True),
    sa.PrimaryKeyConstraint('submission_id', 'tag')
    )
    op.create_table('queue_tag_counts',
    sa.Column('tag', sa.String(length=100), nullable=False),
    sa.Column('rubric_id', sa.String(length=200), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('stage', sa.String(length=16), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.Column('n_free', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('tag', 'rubric_id', 'version', 'stage')
    )
    op.create_table('queue_agreement_counts',
    sa.Column('rubric_id', sa.String(length=200), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('agreement', sa.Float(), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('rubric_id', 'version', 'agreement')
    )
    conn = op.get_bind()
    conn.exec_driver_sql("INSERT INTO queue_agreement_counts (rubric_id, version, agreement, n) "
                         "SELECT rubric_id, version, agreement, count(*) FROM queue_entries e "
                         f"WHERE {_recon('e')} GROUP BY rubric_id, version, agreement")
    # The existing entries' tags, then their counts (before the indexes and triggers: one pass each).
    def tagged(tag: str) -> str:
        return f"INSERT INTO queue_tags ({COLUMNS}) SELECT {_copied('e', tag)} "

    conn.exec_driver_sql(tagged("'f:' || f.code") + "FROM queue_entries e JOIN report_flag_codes f ON f.job_id = e.job_id")
    conn.exec_driver_sql(tagged("'u:' || e.claimed_by") + "FROM queue_entries e WHERE e.claimed_by IS NOT NULL")
    conn.exec_driver_sql(tagged("'u:' || e.assigned_to") + "FROM queue_entries e WHERE e.assigned_to IS NOT NULL "
                         "AND (e.claimed_by IS NULL OR e.claimed_by <> e.assigned_to)")
    conn.exec_driver_sql("INSERT INTO queue_tag_counts (tag, rubric_id, version, stage, n, n_free) "
                         "SELECT tag, rubric_id, version, stage, count(*), sum(CASE WHEN free THEN 1 ELSE 0 END) "
                         "FROM queue_tags WHERE substr(tag, 1, 2) = 'f:' GROUP BY tag, rubric_id, version, stage")
    for name, columns in INDEXES.items():
        op.create_index(name, 'queue_tags', columns, unique=False)
    for name, (columns, added) in ENTRY_INDEXES.items():
        op.drop_index(name, table_name='queue_entries')
        op.create_index(name, 'queue_entries', columns + added, unique=False)
    create_triggers(conn)


def downgrade() -> None:
    drop_triggers(op.get_bind())
    for name, (columns, _) in ENTRY_INDEXES.items():
        op.drop_index(name, table_name='queue_entries')
        op.create_index(name, 'queue_entries', columns, unique=False)
    for name in INDEXES:
        op.drop_index(name, table_name='queue_tags')
    op.drop_table('queue_agreement_counts')
    op.drop_table('queue_tag_counts')
    op.drop_table('queue_tags')
