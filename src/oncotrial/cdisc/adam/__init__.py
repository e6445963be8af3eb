"""oncotrial.cdisc.adam."""

__all__: list[str] = []
