"""CDISC datasets: SDTM/ADaM models, derivations and XPT/CSV/ODM I/O (DataFrames, no database)."""

from oncotrial.cdisc.dates import ImputedDate, parse_dtc
from oncotrial.cdisc.io import read_domain, read_domains, write_dataset

__all__ = ["ImputedDate", "parse_dtc", "read_domain", "read_domains", "write_dataset"]
