"""What must not reach PostgreSQL through PgBouncer in transaction mode.

Each transaction may run on another server connection, so a server-side
cursor fetched across transactions, a session-level advisory lock, `SET`,
`LISTEN` or a prepared statement silently applies to some other client's
session (or is gone). `pooler_guard` is a database execute wrapper that
refuses them; the test suite installs it on every connection when it runs
through the pooler, so one that creeps in fails its test.
"""

import re

SESSION_STATE = re.compile(
    r"""^\s*(?:
        SET\s+(?!LOCAL\b|CONSTRAINTS\b|TRANSACTION\b)  # these end with the transaction
        | RESET\b | LISTEN\b | UNLISTEN\b | PREPARE\b | DEALLOCATE\b
        | DECLARE\b.*\bWITH\s+HOLD\b
    )
    | \bpg_(?:try_)?advisory_(?:un)?lock(?:_shared|_all)?\s*\(  # the _xact_ ones are fine
    | \bset_config\s*\([^)]*\bfalse\s*\)""",
    re.IGNORECASE | re.VERBOSE | re.DOTALL,
)


class SessionStateError(RuntimeError):
    """A query needed a session of its own but goes through a transaction pooler."""


def pooler_guard(execute, sql, params, many, context):
    if getattr(context["cursor"].cursor, "name", None):
        raise SessionStateError(
            "a server-side cursor through the pooler: set DISABLE_SERVER_SIDE_CURSORS "
            "or use the 'direct' database alias"
        )
    if SESSION_STATE.search(sql):
        raise SessionStateError(
            f"session state through the pooler (use the 'direct' alias): {sql[:200]}"
        )
    return execute(sql, params, many, context)
