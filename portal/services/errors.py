"""Domain errors raised by services and turned into messages by views, by type."""


class PortalError(Exception):
    """Base class for errors a person can fix or be told about."""
