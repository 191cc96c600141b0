"""PostgreSQL: textback's search needs the pg_trgm extension; a database user who may not add it is told
what to ask for, and migrates once an administrator has added it (README, "PostgreSQL and several workers")."""

import os
from pathlib import Path

import psycopg
import pytest

from tests.e2e.conftest import postgres_server
from tests.support.harness import Database, System


@pytest.fixture
def database_without_rights(tmp_path: Path):
    """A new database and a user who may create tables in it but not extensions (not its owner)."""
    server = postgres_server()
    if not server:
        pytest.skip("PostgreSQL only")
    name = f"tb_no_extension_{os.getpid()}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE ROLE "{name}" LOGIN')
        admin.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(f"{server}/{name}", autocommit=True) as admin:
        admin.execute(f'GRANT CREATE, USAGE ON SCHEMA public TO "{name}"')
    at = server.split("@", 1)[1]
    yield server, name, Database(f"postgresql://{name}@{at}/{name}")
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'DROP ROLE IF EXISTS "{name}"')


def test_a_user_who_may_not_add_pg_trgm_is_told_what_to_ask_for_and_migrates_once_it_is_added(
    database_without_rights, tmp_path
):
    server, name, database = database_without_rights
    system = System(database=database, data_dir=tmp_path, twilio_api_url="http://127.0.0.1:9")

    refused = system.cli("migrate", "-v", "0", check=False)

    assert refused.returncode != 0
    assert "run, once, in this database: CREATE EXTENSION pg_trgm;" in refused.stderr
    assert "permission denied to create extension" in refused.stderr
    with psycopg.connect(f"{server}/{name}", autocommit=True) as admin:
        admin.execute("CREATE EXTENSION pg_trgm")
    system.cli("migrate", "-v", "0")
    indexes = database.query("SELECT indexname FROM pg_indexes WHERE indexname LIKE %s", ("%_trigram",))
    assert sorted(indexes) == [("contact_name_trigram",), ("message_body_trigram",)]
