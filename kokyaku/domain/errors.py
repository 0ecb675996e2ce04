"""The domain core's own exception type."""


class DomainError(ValueError):
    """Invalid input to a domain computation; the message says which input and why."""
