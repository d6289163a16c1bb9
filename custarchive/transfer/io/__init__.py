"""The file-format layer of batch import and export: bytes in, strings out, and back.

This package knows formats, encodings and headers, and nothing about customers
beyond the field names: it never normalises a value (``custarchive.core.values``
does) and never touches the database.  Everything streams, so memory stays
flat for a file of any size.

Import::

    from custarchive.transfer.io import open_rows, build_header_map, ErrorsWriter

    with open_rows(path_or_dash, format="auto", encoding="auto", sheet=None) as src:
        # src.format: "csv" | "xlsx" | "json" | "jsonl" | "vcf"; src.encoding: codec or None (xlsx)
        # src.headers: the first table's original headers; src.warnings: notes for stderr
        with ErrorsWriter(errors_path, src) as rejected:      # only with --errors
            for table in src.tables():                         # one per worksheet, else one
                hmap = build_header_map(table.headers, template_extra_labels, map_file)
                hmap.check()                                   # duplicated / conflicting headers
                # hmap.unknown: [(index, header)] to report once; hmap.fields: {index: field}
                for row in table.rows:                         # Row: .line .where .cells .values .original .error
                    if row.error:                              # ragged, nested, oversized, merged ...
                        rejected.write(row); continue
                    record = {f: row.cells[i] for i, f in hmap.fields.items()}
                    ...                                        # on refusal: rejected.write(row, reason)

File-level problems (empty, binary, undecodable with line and byte, no data
rows, too many columns, malformed quoting, bad map file) raise
``ValidationError`` / ``ConfigError`` / ``UsageError`` with a one-line message.
"No data rows" is raised when ``tables()``/``rows()`` is exhausted.

Export::

    write_rows(fmt, out, fields, rows, labels=LABELS_ZH or None, encoding=None,
               sheet_name="客户", extra_sheets=[(name, headers, rows), ...]) -> int

``out`` is a path, ``"-"`` (stdout) or a binary stream.  CSV to a file is
UTF-8 with BOM for Excel unless ``encoding`` says ``utf-8`` or ``gbk``; to a
stream it is plain UTF-8.  Text that could run as a formula is neutralised in
CSV and XLSX; typed numbers and dates are written as real cells.

Limits (``readers``): ``MAX_COLUMNS`` = 1000 columns, ``MAX_CELL_CHARS`` =
32,767 characters per cell (Excel's own limit; the row is rejected),
``MAX_RECORD_CHARS`` = 8 Mi characters per CSV field, JSON record or vCard (the
file is refused), up to ``HEADER_SCAN_ROWS`` = 10 title rows skipped above the
header.

Modules: ``encoding`` (detection, decode errors with line and byte),
``readers`` (Source/Table/Row, CSV, dispatch), ``xlsx_reader``, ``jsonstream``,
``vcard``, ``headers`` (fields, labels, aliases, map files), ``writers``
(export, errors file).
"""
from custarchive.transfer.io.headers import (
    ALIASES, AUXILIARY_FIELDS, FIELDS, LABELS_ZH, SYSTEM_LABELS_ZH, HeaderMap, build_header_map, normalise_header,
)
from custarchive.transfer.io.readers import open_rows
from custarchive.transfer.io.tables import MAX_CELL_CHARS, MAX_COLUMNS, MAX_RECORD_CHARS, Row, Source, Table
from custarchive.transfer.io.writers import ErrorsWriter, write_rows

__all__ = [
    "ALIASES", "AUXILIARY_FIELDS", "FIELDS", "LABELS_ZH", "SYSTEM_LABELS_ZH", "HeaderMap", "build_header_map", "normalise_header",
    "MAX_CELL_CHARS", "MAX_COLUMNS", "MAX_RECORD_CHARS", "Row", "Source", "Table", "open_rows",
    "ErrorsWriter", "write_rows",
]
