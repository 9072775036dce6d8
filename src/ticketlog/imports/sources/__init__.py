"""Source-specific readers: one module per tool whose exports are not one row per change.

Each module has ``flatten(records, mapping, companion)``, turning the tool's own records
(audit trails, changelogs) into flat rows with the columns its preset names; see
:func:`ticketlog.imports.readers.source_rows`.
"""
