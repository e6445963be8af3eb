"""Column-wise text clean-up done once per distinct value (SDTM columns repeat few values)."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["upper_text"]


def upper_text(values: pd.Series) -> pd.Series:
    """Stripped, upper-case text of *values*; missing values become ``""``.

    Works on the distinct values only, then maps back: 10^6 visit dates or codes cost the
    price of their few thousand distinct spellings.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    cleaned = np.array([str(u).strip().upper() for u in uniques] + [""], dtype=object)
    return pd.Series(cleaned[codes], index=values.index, dtype=object)
