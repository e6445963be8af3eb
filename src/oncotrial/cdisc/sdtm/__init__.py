"""oncotrial.cdisc.sdtm."""

__all__: list[str] = []
