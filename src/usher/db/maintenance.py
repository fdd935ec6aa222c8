"""Keeping the query planner informed.

SQLite gathers no statistics by itself: without ``sqlite_stat1`` it guesses, and guesses
wrong for the list's searches and filters (docs/performance.md, "SQLite without planner
statistics"). ``refresh_statistics`` runs a bounded ``ANALYZE`` (each index sampled, so it
takes milliseconds at a million rows); ``usher db upgrade`` runs it after migrating and every
worker every hour. PostgreSQL's autovacuum analyzes on its own: nothing to do there.
"""

from __future__ import annotations

from sqlalchemy import Engine

# Rows sampled per index: SQLite's own advice for a quick, good-enough ANALYZE.
ANALYSIS_LIMIT = 1000
REFRESH_EVERY_SECONDS = 3600.0


def refresh_statistics(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as conn:
        conn.exec_driver_sql(f"PRAGMA analysis_limit={ANALYSIS_LIMIT}")
        conn.exec_driver_sql("ANALYZE")
        conn.commit()
