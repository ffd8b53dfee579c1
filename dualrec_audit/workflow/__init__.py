"""The reviewer workflow a bank signs off, without Qt or a database: roles and accounts, what a
decision needs (places watched, a reason, a senior, four eyes), appeals, where a recording
stands, and what of a recording a reviewer must watch.

The store enforces these rules inside its transactions; the UI only shows their outcome.
"""
