"""Streaming contact import: source → row checks → size-aware payloads → activities → result.

Modules: ``_source`` (files, CSV text streams, iterables of mappings), ``_csv_rows`` (CSV records
with their batch's raw cells), ``_row_checks`` (per-row validation), ``_email_cache``,
``_encoder`` (payloads cut by bytes and rows), ``_submit`` (activities in flight), ``_poll``
(when to poll), ``_result`` (outcomes) and ``_pipeline`` (:func:`import_contacts` itself).
"""

from ccasync.ops.imports._pipeline import (
    API_MAX_PAYLOAD_BYTES,
    API_MAX_ROWS,
    DEFAULT_MAX_PAYLOAD_BYTES,
    ChunkOutcome,
    ImportProgress,
    ImportResult,
    RowIssue,
    import_contacts,
)

__all__ = [
    "API_MAX_PAYLOAD_BYTES",
    "API_MAX_ROWS",
    "DEFAULT_MAX_PAYLOAD_BYTES",
    "ChunkOutcome",
    "ImportProgress",
    "ImportResult",
    "RowIssue",
    "import_contacts",
]
