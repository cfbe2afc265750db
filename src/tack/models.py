"""Imports every domain's tables so `metadata` knows them all (migrations, tests)."""

from __future__ import annotations


def load_all_tables() -> None:
    import tack.access.tables  # noqa: F401
    import tack.apps.tables  # noqa: F401
    import tack.apps.trash_tables  # noqa: F401
    import tack.auth.tables  # noqa: F401
    import tack.core.tables  # noqa: F401
    import tack.directory.tables  # noqa: F401
    import tack.files.tables  # noqa: F401
    import tack.flows.calendar_tables  # noqa: F401
    import tack.flows.tables  # noqa: F401
    import tack.notifications.tables  # noqa: F401
    import tack.records.import_tables  # noqa: F401
    import tack.records.link_tables  # noqa: F401
    import tack.records.query.tables  # noqa: F401
    import tack.records.tables  # noqa: F401
    import tack.views.tables  # noqa: F401
