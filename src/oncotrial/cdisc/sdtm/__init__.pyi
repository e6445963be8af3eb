# Public names of oncotrial.cdisc.sdtm, loaded on first use (lazy_loader reads this stub;
# type checkers read it as the package's interface).
from .export import (
    SDTM_DOMAINS as SDTM_DOMAINS,
)
from .export import (
    build_sdtm as build_sdtm,
)
from .export import (
    write_sdtm as write_sdtm,
)
from .subjects import (
    ANALYSIS_DOMAINS as ANALYSIS_DOMAINS,
)
from .subjects import (
    read_sdtm as read_sdtm,
)
from .subjects import (
    validate_domains as validate_domains,
)
from .tumour import (
    TumourAssessment as TumourAssessment,
)
from .tumour import (
    derive_recist_input as derive_recist_input,
)
from .tumour import (
    derive_rs_from_tr as derive_rs_from_tr,
)
from .tumour import (
    derive_tumour_assessment as derive_tumour_assessment,
)
from .tumour import (
    read_tumour_domains as read_tumour_domains,
)
from .tumour import (
    write_tumour_assessment as write_tumour_assessment,
)

__all__ = [
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
