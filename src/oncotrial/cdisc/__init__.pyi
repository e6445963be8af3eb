# Public names of oncotrial.cdisc, loaded on first use (lazy_loader reads this stub;
# type checkers read it as the package's interface).
from .dates import (
    ImputedDate as ImputedDate,
)
from .dates import (
    parse_dtc as parse_dtc,
)
from .io import (
    read_domain as read_domain,
)
from .io import (
    read_domains as read_domains,
)
from .io import (
    write_dataset as write_dataset,
)

__all__ = [
    "ImputedDate",
    "parse_dtc",
    "read_domain",
    "read_domains",
    "write_dataset",
]
