"""Fixtures of the integration tests beyond tests/conftest.py's."""

from tests.api_helpers import restored_suite  # noqa: F401 (a fixture: the suite, its records restored after)
