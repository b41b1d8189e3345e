"""Which database errors mean "try again" (503) and which are a bug (500)."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from app.lib.unit_of_work import database_unavailable


class _PostgresError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    "sqlstate",
    [
        "08006",  # connection failure
        "57P01",  # admin shutdown (PostgreSQL stopped or killed)
        "57P03",  # cannot connect now (still starting after a restart)
        "53300",  # too many connections
        "40001",  # serialization failure
        "40P01",  # deadlock
    ],
)
def test_an_unavailable_or_busy_database_is_worth_trying_again(sqlstate: str) -> None:
    assert database_unavailable(OperationalError("COMMIT", {}, _PostgresError(sqlstate)))


def test_a_refused_or_reset_connection_is_worth_trying_again() -> None:
    assert database_unavailable(ConnectionRefusedError(111, "Connect call failed"))
    assert database_unavailable(DBAPIError("SELECT 1", {}, ConnectionResetError()))


@pytest.mark.parametrize(
    "sqlstate",
    [
        "22021",  # a NUL byte in text: bad input, answered by its own check
        "23505",  # a unique violation: a bug or a rule, not the database being down
        "42P01",  # an unknown table: a bug
    ],
)
def test_other_database_errors_are_not_hidden_as_unavailable(sqlstate: str) -> None:
    assert not database_unavailable(IntegrityError("INSERT", {}, _PostgresError(sqlstate)))


def test_an_error_that_is_not_the_database_is_not_unavailable() -> None:
    assert not database_unavailable(ValueError("no"))
