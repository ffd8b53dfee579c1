"""The results store: :class:`~dualrec_audit.store.database.Store`, composed of one part per
job (results, reviews, workflow, calibration, verify) on a common base, over the records and
keys below it.

Layers, top to bottom: database > verify > profiles_store > workflow > (results | reviews) >
base > records > (keys | trust) > schema; the Alembic migrations (``migrations/``) are files
Alembic runs, not modules anything imports.
"""
