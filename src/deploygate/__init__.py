"""deploygate: a deploy gate for the learning loop.

Only the version lives here, so that importing the package costs nothing.
"""

__version__ = "0.1.0"
