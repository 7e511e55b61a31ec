"""Command-line options the bench scripts share."""

from __future__ import annotations

import argparse


def add_database_and_limits(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database", help="SQLAlchemy URL (default: SQLite in a temporary folder)")
    parser.add_argument(
        "--redis",
        default="redis://127.0.0.1:6379/15",
        help="Redis URL for the rate-limit counters, as in production (default: %(default)s)",
    )
    parser.add_argument(
        "--memory-limits",
        action="store_true",
        help="keep the rate-limit counters in each process's memory instead (no REDIS_URL)",
    )


def database_and_limits(args: argparse.Namespace, instance: str) -> tuple[str, str | None, str]:
    """(database URL, Redis URL or None, the variant's name for the report)."""
    database = args.database or f"sqlite:///{instance}/bench.db"
    redis = None if args.memory_limits else args.redis
    variant = "PostgreSQL" if database.startswith("postgresql") else "SQLite"
    variant += " + Redis" if redis else " (rate limits in memory)"
    return database, redis, variant
