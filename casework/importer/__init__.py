"""The partner CSV importer: each kind of file (kinds.py), the checks on its columns
(fields.py), and reading, validating and upserting a file of any kind (service.py). The
command line, the import pages (casework/imports) and matching (casework/matching) all
import through it."""
