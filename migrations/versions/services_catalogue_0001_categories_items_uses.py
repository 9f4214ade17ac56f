"""services catalogue: categories, service items in versions (with the search text), item uses

Revision ID: services_catalogue_0001
Revises:
Create Date: 2026-11-26 19:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import onecity.db

revision: str = "services_catalogue_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("services_catalogue",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('svc_categories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name_zh', sa.String(length=60), nullable=False),
    sa.Column('name_en', sa.String(length=80), nullable=False),
    sa.Column('icon', sa.String(length=16), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_svc_categories')),
    sa.UniqueConstraint('code', name=op.f('uq_svc_categories_code'))
    )
    op.create_table('svc_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('city_code', sa.String(length=12), nullable=False),
    sa.Column('code', sa.String(length=80), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('agency_org_id', sa.String(length=40), nullable=False),
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.Column('name_zh', sa.String(length=120), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('description_zh', sa.Text(), nullable=False),
    sa.Column('description_en', sa.Text(), nullable=False),
    sa.Column('eligibility', sa.JSON(), nullable=False),
    sa.Column('materials', sa.JSON(), nullable=False),
    sa.Column('fee_fen', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('time_limit_days', sa.Integer(), nullable=False),
    sa.Column('trips', sa.Integer(), nullable=False),
    sa.Column('online', sa.Boolean(), nullable=False),
    sa.Column('entry', sa.String(length=8), nullable=False),
    sa.Column('entry_url', sa.String(length=200), nullable=True),
    sa.Column('form_schema', sa.JSON(), nullable=True),
    sa.Column('prefill', sa.JSON(), nullable=False),
    sa.Column('workflow', sa.String(length=60), nullable=False),
    sa.Column('on_approve', sa.JSON(), nullable=False),
    sa.Column('keywords', sa.JSON(), nullable=False),
    sa.Column('recommended', sa.Boolean(), nullable=False),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('published_at', onecity.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('retired_at', onecity.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_svc_items')),
    sa.UniqueConstraint('city_code', 'code', 'version', name=op.f('uq_svc_items_city_code_code_version'))
    )
    op.create_index('ix_svc_items_city_status', 'svc_items', ['city_code', 'status', 'category'], unique=False)
    op.create_index('ix_svc_items_agency', 'svc_items', ['agency_org_id', 'status'], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        # The full-text index (Chinese already segmented into words by jieba at write time). No pending
        # list (fastupdate off): catalogue writes are rare, and rows waiting in the pending list made the
        # planner skip the index until the next vacuum (31-43 ms a search instead of 0.7 ms, bench/services.py).
        op.create_index('ix_svc_items_search', 'svc_items', [sa.text("to_tsvector('simple', search_text)")],
                        unique=False, postgresql_using='gin', postgresql_with={'fastupdate': 'off'})
    op.create_table('svc_item_uses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('city_code', sa.String(length=12), nullable=False),
    sa.Column('code', sa.String(length=80), nullable=False),
    sa.Column('uses', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_svc_item_uses')),
    sa.UniqueConstraint('city_code', 'code', name=op.f('uq_svc_item_uses_city_code_code'))
    )


def downgrade() -> None:
    op.drop_table('svc_item_uses')
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index('ix_svc_items_search', table_name='svc_items', postgresql_using='gin')
    op.drop_index('ix_svc_items_agency', table_name='svc_items')
    op.drop_index('ix_svc_items_city_status', table_name='svc_items')
    op.drop_table('svc_items')
    op.drop_table('svc_categories')
