"""GitHub as a source (``source.py``), its settings (``settings.py``) and its queries.

This package imports nothing itself, so reading the settings (for the PR
comment, say) does not load the HTTP stack.
"""
