"""The fast demo organization and cheap sign-ins of the directory tests."""

from tests.directory.conftest import alice, demo, demo_rows  # noqa: F401
