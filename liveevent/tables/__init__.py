"""Spreadsheets in and out: job and outcome imports, CSV and XLSX exports.

Pure code: no network, no event loop, no store. Importers take the uploaded bytes and return
frozen rows plus per-row problems; whole-file faults raise a `TableError`. Exporters format rows
the caller streams in, so an export of any size runs in constant memory.
"""
