"""ADaM efficacy derivations (ADSL, ADRS, ADTTE) from SDTM DataFrames, following
admiral/admiralonco except where the reference derivation is known to be wrong (commented)."""

from oncotrial.cdisc.adam._settings import ResponseOptions
from oncotrial.cdisc.adam.adrs import ADRS_PARAMS, derive_adrs
from oncotrial.cdisc.adam.adsl import derive_adsl, select_start_date
from oncotrial.cdisc.adam.adtte import ADTTE_PARAMS, derive_adtte
from oncotrial.cdisc.adam.issues import derive_adrs_issues
from oncotrial.cdisc.adam.pipeline import AdamDatasets, derive_adam, domains_for, write_adam

__all__ = [
    "ADRS_PARAMS",
    "ADTTE_PARAMS",
    "AdamDatasets",
    "ResponseOptions",
    "derive_adam",
    "derive_adrs",
    "derive_adrs_issues",
    "derive_adsl",
    "derive_adtte",
    "domains_for",
    "select_start_date",
    "write_adam",
]
