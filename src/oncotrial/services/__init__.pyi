# Public names of oncotrial.services, loaded on first use (lazy_loader reads this stub;
# type checkers read it as the package's interface).
from ._unit import (
    Unit as Unit,
)
from ._unit import (
    open_unit as open_unit,
)

__all__ = [
    "Unit",
    "open_unit",
]
