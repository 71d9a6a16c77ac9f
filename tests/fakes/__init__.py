"""Fakes of the platforms deploygate talks to, served over loopback and driven by real clients."""
