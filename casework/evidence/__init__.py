"""The kinds of partner file, each declared once (kinds.py), and the checks of their
columns (fields.py)."""
