"""oncotrial.cdisc.sdtm."""

from oncotrial.cdisc.sdtm.export import SDTM_DOMAINS, build_sdtm, write_sdtm
from oncotrial.cdisc.sdtm.subjects import ANALYSIS_DOMAINS, read_sdtm, validate_domains
from oncotrial.cdisc.sdtm.tumour import (
    TumourAssessment,
    derive_recist_input,
    derive_rs_from_tr,
    derive_tumour_assessment,
    read_tumour_domains,
    write_tumour_assessment,
)

__all__: list[str] = [
    "ANALYSIS_DOMAINS",
    "SDTM_DOMAINS",
    "TumourAssessment",
    "build_sdtm",
    "derive_recist_input",
    "derive_rs_from_tr",
    "derive_tumour_assessment",
    "read_sdtm",
    "read_tumour_domains",
    "validate_domains",
    "write_sdtm",
    "write_tumour_assessment",
]
