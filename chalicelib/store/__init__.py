"""The only code that knows the table: item classes (models), key formats (keys), index
attribute names, condition and update expressions, transactions (tx). Its functions
take and return chalicelib.domain types and plain values; docs/data-model.md lists the
modules and tests/test_store_boundary.py keeps everyone else out."""
