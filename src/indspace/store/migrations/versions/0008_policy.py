"""One policy book (issue #14): every run keeps the full text of the profile it used.

``evaluation_runs`` and ``lowuse_runs`` gain ``profile_text`` (the exact YAML, whose hash is
``profile_hash``); ``lowuse_runs`` also gains ``method_date`` (the day whose values were in
force) and ``evaluation_run_id`` (the evaluation run a plan was made on, if any). Runs made
before this revision keep NULL there and are read with the bundled profile of their id,
checked against their stored hash.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("evaluation_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("profile_text", sa.Text(), nullable=True,
                                      comment="策略配置全文（YAML）"))
    with op.batch_alter_table("lowuse_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("profile_text", sa.Text(), nullable=True,
                                      comment="策略配置全文（YAML）"))
        batch_op.add_column(sa.Column("method_date", sa.Date(), nullable=True,
                                      comment="取值日期（该日生效的参数）"))
        batch_op.add_column(sa.Column("evaluation_run_id", sa.Text(), nullable=True,
                                      comment="所依据的亩均评价批次"))


def downgrade() -> None:
    with op.batch_alter_table("lowuse_runs", schema=None) as batch_op:
        batch_op.drop_column("evaluation_run_id")
        batch_op.drop_column("method_date")
        batch_op.drop_column("profile_text")
    with op.batch_alter_table("evaluation_runs", schema=None) as batch_op:
        batch_op.drop_column("profile_text")
