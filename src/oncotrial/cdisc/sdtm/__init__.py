"""oncotrial.cdisc.sdtm."""

from oncotrial.cdisc.sdtm.subjects import ANALYSIS_DOMAINS, read_sdtm, validate_domains

__all__: list[str] = ["ANALYSIS_DOMAINS", "read_sdtm", "validate_domains"]
