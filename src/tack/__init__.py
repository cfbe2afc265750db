"""Tack: an open-source, self-hosted platform on which an organization runs itself."""

__version__ = "0.1.0"
