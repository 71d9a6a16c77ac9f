"""Run deploygate as ``python -m deploygate``."""

from deploygate.cli import main

main()
