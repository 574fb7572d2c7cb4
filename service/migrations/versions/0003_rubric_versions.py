"""rubric versions kept in the database; submissions pin a rubric version

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('rubric_versions',
    sa.Column('rubric_id', sa.String(length=200), nullable=False),
    sa.Column('version', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('content_hash', sa.String(length=80), nullable=False),
    sa.Column('yaml_text', sa.Text(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('uploaded_by', sa.String(length=32), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('retired_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['uploaded_by'], ['users.id'], ),
    sa.PrimaryKeyConstraint('rubric_id', 'version')
    )
    # Submissions made before versions were pinned keep NULL: they are screened against the
    # rubric's current version, as they were before this migration.
    with op.batch_alter_table('submissions') as batch:
        batch.add_column(sa.Column('rubric_version', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('submissions') as batch:
        batch.drop_column('rubric_version')
    op.drop_table('rubric_versions')
