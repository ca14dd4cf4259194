"""Trustworthy audit log (issue #15): the effective time apart from the entry's own time,
and a hash chain over the entries.

Existing entries keep their ``at`` (for approve/enforce entries that was the effective date;
it is copied to ``effective_at`` as well) and are chained in sequence order, so
``indspace audit verify`` checks the whole log from the first entry.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from indspace.store.audit import GENESIS, entry_hash, utc_ms
from indspace.store.types import UtcDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_log") as b:
        b.add_column(
            sa.Column(
                "effective_at",
                UtcDateTime(),
                nullable=True,
                comment="生效时间（变更所指的业务时间）",
            )
        )
        b.add_column(
            sa.Column(
                "prev_hash", sa.Text(), nullable=True, comment="上一条的 entry_hash（哈希链）"
            )
        )
        b.add_column(
            sa.Column("entry_hash", sa.Text(), nullable=True, comment="本条规范内容的 SHA-256")
        )
    t = sa.table(
        "audit_log",
        sa.column("fid", sa.Integer()),
        sa.column("at", UtcDateTime()),
        sa.column("effective_at", UtcDateTime()),
        sa.column("actor", sa.Text()),
        sa.column("action", sa.Text()),
        sa.column("table_name", sa.Text()),
        sa.column("record_key", sa.Text()),
        sa.column("before_json", sa.Text()),
        sa.column("after_json", sa.Text()),
        sa.column("reason", sa.Text()),
        sa.column("prev_hash", sa.Text()),
        sa.column("entry_hash", sa.Text()),
    )
    bind = op.get_bind()
    prev = GENESIS
    rows = bind.execute(sa.select(t).order_by(t.c.fid)).mappings().all()
    for r in rows:
        row = {**dict(r), "at": utc_ms(r["at"]), "effective_at": utc_ms(r["at"])}
        h = entry_hash(row, prev)
        bind.execute(
            sa.update(t)
            .where(t.c.fid == r["fid"])
            .values(at=row["at"], effective_at=row["effective_at"], prev_hash=prev, entry_hash=h)
        )
        prev = h


def downgrade() -> None:
    with op.batch_alter_table("audit_log") as b:
        b.drop_column("entry_hash")
        b.drop_column("prev_hash")
        b.drop_column("effective_at")
