"""oncotrial.stats."""

__all__: list[str] = []
