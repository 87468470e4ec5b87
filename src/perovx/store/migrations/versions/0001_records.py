"""The records table: one saved analysis, device fit or simulation with its provenance.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "records",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("measured_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("analysis", sa.String(80), nullable=False, server_default=""),
        sa.Column("title", sa.String(200), nullable=False, server_default=""),
        sa.Column("device", sa.String(200), nullable=False, server_default=""),
        sa.Column("perovx_version", sa.String(40), nullable=False),
        sa.Column("parameters", sa.JSON, nullable=False),
        sa.Column("inputs", sa.JSON, nullable=False),
        sa.Column("figures", sa.JSON, nullable=False),
        sa.Column("results", sa.JSON, nullable=False),
    )
    op.create_index("ix_records_device_measured", "records", ["device", "measured_at"])
    op.create_index("ix_records_kind", "records", ["kind"])


def downgrade() -> None:
    op.drop_index("ix_records_kind", "records")
    op.drop_index("ix_records_device_measured", "records")
    op.drop_table("records")
