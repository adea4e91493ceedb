"""c3p: the City-to-City Collaboration Program for Zero-Carbon Society, from partnership to credit."""

__version__ = "0.1.0"
