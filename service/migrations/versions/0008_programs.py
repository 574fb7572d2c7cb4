"""programs: followed programs, coaching meetings, stack credentials

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-10
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('program_enrolments',
    sa.Column('candidate_id', sa.String(length=32), nullable=False),
    sa.Column('program_id', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['candidate_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('candidate_id', 'program_id')
    )
    op.create_table('coaching_records',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('candidate_id', sa.String(length=32), nullable=False),
    sa.Column('program_id', sa.String(length=200), nullable=False),
    sa.Column('rubric_id', sa.String(length=200), nullable=False),
    sa.Column('recorded_by', sa.String(length=32), nullable=True),
    sa.Column('held_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['candidate_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_coaching_records_candidate_id', 'coaching_records', ['candidate_id'], unique=False)
    op.create_table('stack_credentials',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('candidate_id', sa.String(length=32), nullable=False),
    sa.Column('program_id', sa.String(length=200), nullable=False),
    sa.Column('program_version', sa.String(length=64), nullable=False),
    sa.Column('stack_id', sa.String(length=200), nullable=False),
    sa.Column('decisions_json', sa.Text(), nullable=False),
    sa.Column('completed_at', sa.DateTime(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['candidate_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('candidate_id', 'program_id', 'program_version', 'stack_id', name='uq_stack_credential')
    )
    op.create_index('ix_stack_credentials_candidate_id', 'stack_credentials', ['candidate_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_stack_credentials_candidate_id', table_name='stack_credentials')
    op.drop_table('stack_credentials')
    op.drop_index('ix_coaching_records_candidate_id', table_name='coaching_records')
    op.drop_table('coaching_records')
    op.drop_table('program_enrolments')
