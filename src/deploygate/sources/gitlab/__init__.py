"""GitLab as a source (``source.py``) and its settings (``settings.py``).

This package imports nothing itself, so reading the settings (for the MR
note, say) does not load python-gitlab.
"""
