"""signed credentials: issuer keys and the revocation list

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('issuer_keys',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('public_key_multibase', sa.String(length=80), nullable=False),
    sa.Column('secret_key_multibase', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('retired_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('public_key_multibase')
    )
    op.create_table('credential_status',
    sa.Column('decision_id', sa.String(length=32), nullable=False),
    sa.Column('list_index', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_by', sa.String(length=32), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('decision_id'),
    sa.UniqueConstraint('list_index')
    )


def downgrade() -> None:
    op.drop_table('credential_status')
    op.drop_table('issuer_keys')
