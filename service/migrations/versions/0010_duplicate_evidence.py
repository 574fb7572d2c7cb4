"""duplicate evidence: the evidence index, matches across candidates, approved shared evidence

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-12
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('evidence_index',
    sa.Column('submission_id', sa.String(length=32), nullable=False),
    sa.Column('candidate_id', sa.String(length=32), nullable=False),
    sa.Column('job_id', sa.String(length=32), nullable=False),
    sa.Column('model', sa.String(length=200), nullable=False),
    sa.Column('dim', sa.Integer(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('vectors', sa.LargeBinary(), nullable=False),
    sa.Column('files_json', sa.Text(), nullable=False),
    sa.Column('passages_json', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['candidate_id'], ['users.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('submission_id')
    )
    op.create_index('ix_evidence_index_candidate_id', 'evidence_index', ['candidate_id'], unique=False)
    op.create_table('duplicate_matches',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('submission_id', sa.String(length=32), nullable=False),
    sa.Column('other_submission_id', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('file_id', sa.String(length=32), nullable=True),
    sa.Column('other_file_id', sa.String(length=32), nullable=True),
    sa.Column('passage', sa.Integer(), nullable=True),
    sa.Column('other_passage', sa.Integer(), nullable=True),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['other_submission_id'], ['submissions.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_duplicate_matches_other_submission_id', 'duplicate_matches', ['other_submission_id'], unique=False)
    op.create_index('ix_duplicate_matches_sha256', 'duplicate_matches', ['sha256'], unique=False)
    op.create_index('ix_duplicate_matches_submission_id', 'duplicate_matches', ['submission_id'], unique=False)
    op.create_table('shared_evidence',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('approved_by', sa.String(length=32), nullable=True),
    sa.Column('approved_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('sha256')
    )


def downgrade() -> None:
    op.drop_table('shared_evidence')
    op.drop_index('ix_duplicate_matches_submission_id', table_name='duplicate_matches')
    op.drop_index('ix_duplicate_matches_sha256', table_name='duplicate_matches')
    op.drop_index('ix_duplicate_matches_other_submission_id', table_name='duplicate_matches')
    op.drop_table('duplicate_matches')
    op.drop_index('ix_evidence_index_candidate_id', table_name='evidence_index')
    op.drop_table('evidence_index')
