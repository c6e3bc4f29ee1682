"""Domain errors carry a message a person can read; views show it next to the form."""


class DomainError(Exception):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotAllowed(DomainError):
    """The action is not allowed in the object's current state."""
