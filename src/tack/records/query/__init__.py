"""The record query layer: filter trees, sorts, search, keyset pages, counts, promoted indexes."""

from typing import Any

from tack.records.query.filters import check_filter, check_sort, parse_filter, parse_sort
from tack.records.query.model import Count, RecordQuery, RecordQueryPage, SortKey

__all__ = ["Count", "RecordQuery", "RecordQueryPage", "SortKey", "check_filter", "check_sort", "iter_records",
           "parse_filter", "parse_sort", "query_records"]


def __getattr__(name: str) -> Any:
    # The service reads records through tack.records.service, which writes the search text
    # through this package: imported on first use, so the two can import each other.
    if name in ("query_records", "iter_records"):
        from tack.records.query import service

        return getattr(service, name)
    raise AttributeError(name)
