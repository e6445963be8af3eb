# Public names of oncotrial.cdisc.adam, loaded on first use (lazy_loader reads this stub;
# type checkers read it as the package's interface).
from ._settings import ResponseOptions as ResponseOptions
from .adrs import (
    ADRS_PARAMS as ADRS_PARAMS,
)
from .adrs import (
    derive_adrs as derive_adrs,
)
from .adsl import (
    derive_adsl as derive_adsl,
)
from .adsl import (
    select_start_date as select_start_date,
)
from .adtte import (
    ADTTE_PARAMS as ADTTE_PARAMS,
)
from .adtte import (
    derive_adtte as derive_adtte,
)
from .issues import derive_adrs_issues as derive_adrs_issues
from .pipeline import (
    AdamDatasets as AdamDatasets,
)
from .pipeline import (
    derive_adam as derive_adam,
)
from .pipeline import (
    domains_for as domains_for,
)
from .pipeline import (
    write_adam as write_adam,
)

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
