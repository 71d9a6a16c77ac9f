"""Jira as a tracker (``source.py``), its settings (``settings.py``) and ADF as text (``adf.py``).

Jira holds action items only, so it completes the postmortems that the
other sources found. This package imports nothing itself, so naming the
source costs nothing until it runs.
"""
