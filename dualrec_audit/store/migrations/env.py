"""Alembic environment: migrations run on the connection the store hands over."""

from __future__ import annotations

from alembic import context

from dualrec_audit.store.schema import Base

target_metadata = Base.metadata

connection = context.config.attributes.get("connection")
if connection is None:  # `alembic` command line with sqlalchemy.url set in its ini file
    from sqlalchemy import engine_from_config, pool

    engine = engine_from_config(
        context.config.get_section(context.config.config_ini_section) or {},
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
else:
    context.configure(connection=connection, target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
