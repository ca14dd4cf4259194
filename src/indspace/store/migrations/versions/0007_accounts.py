"""Accounts of the web platform: users and bearer tokens (issue #8).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

from indspace.settings import DEFAULT_SRID
from indspace.store.migrations.helpers import register_tables
from indspace.store.types import UtcDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TABLES = ["users", "auth_tokens"]


def upgrade() -> None:
    srid = int(context.config.attributes.get("srid", DEFAULT_SRID))
    op.create_table(
        "users",
        sa.Column("fid", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("username", sa.Text(), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False, comment="argon2id"),
        sa.Column("role", sa.Text(), nullable=False,
                  comment="city_admin | district_officer | enterprise | auditor"),
        sa.Column("district", sa.Text(), nullable=True, comment="区县（区县工作人员）"),
        sa.Column("credit_code", sa.Text(), nullable=True, comment="统一社会信用代码（企业用户）"),
        sa.Column("display_name", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("fid"),
        sa.UniqueConstraint("username"),
        comment="平台账户",
        sqlite_autoincrement=True,
    )
    op.create_table(
        "auth_tokens",
        sa.Column("fid", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("token_hash", sa.Text(), nullable=False, comment="sha256 hex"),
        sa.Column("username", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("revoked_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("fid"),
        sa.UniqueConstraint("token_hash"),
        comment="访问令牌（仅存哈希）",
        sqlite_autoincrement=True,
    )
    register_tables(TABLES, srid)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        names = ", ".join(f"'{t}'" for t in TABLES)
        op.execute(f"DELETE FROM gpkg_contents WHERE table_name IN ({names})")
    for t in reversed(TABLES):
        op.drop_table(t)
