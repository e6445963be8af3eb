"""oncotrial.services."""

__all__: list[str] = []
