"""oncotrial.rules."""

__all__: list[str] = []
