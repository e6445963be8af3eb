"""Kaplan-Meier, quantiles with Brookmeyer-Crowley intervals, log-rank, reverse-KM follow-up.

Conventions follow R ``survival`` (Therneau, survival 3.x) so that numbers agree with
``survfit``/``quantile``/``survdiff``:

- Kaplan-Meier (Kaplan & Meier 1958, JASA 53:457-481), one row per distinct time;
  Greenwood variance of log S, ``sum d / (n (n - d))`` (Greenwood 1926).
- Intervals: ``log-log`` (default here, as Kalbfleisch & Prentice 1980 and the EORTC/ESMO
  reporting convention; R ``conf.type = "log-log"``), ``log`` (R's default) and ``plain``.
- Quantiles and the median: the first time the curve reaches ``1 - p`` (averaging over a
  flat exactly at the level); confidence limits where the pointwise band crosses the level
  (Brookmeyer & Crowley 1982, Biometrics 38:29-41, as implemented in R
  ``quantile.survfit``).
- Near-equal times are merged as R's ``aeqSurv`` does (``timefix = TRUE``): neighbouring
  distinct times closer than ``sqrt(eps)`` in absolute value, or relative to the mean absolute
  time, are one time (the smallest).
- Reverse Kaplan-Meier median follow-up (Schemper & Smith 1996, Control Clin Trials 17:343-346).

The sort is a single value sort of a packed ``(time, event)`` key, which keeps a 10-million
row curve close to the cost of sorting the times alone.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from oncotrial.errors import DataError, DesignError
from oncotrial.stats._distributions import chi2_sf, normal_quantile
from oncotrial.stats.results import Interval, KaplanMeierResult, LogRankResult

__all__ = [
    "CONF_TYPES",
    "estimate_followup_median",
    "estimate_kaplan_meier",
    "estimate_km_quantile",
    "estimate_log_rank",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
CONF_TYPES = ("log-log", "log", "plain")
_SQRT_EPS = float(np.sqrt(np.finfo(np.float64).eps))


def _validate_inputs(time: ArrayLike, event: ArrayLike) -> tuple[FloatArray, NDArray[np.bool_]]:
    """Checked float64 times and boolean events (one or two reductions each)."""
    t = np.ascontiguousarray(np.asarray(time, dtype=np.float64).ravel())
    e_raw = np.asarray(event).ravel()
    if t.size == 0:
        raise DataError("no observations", field="time", value=[], allowed="at least one time")
    if e_raw.size != t.size:
        raise DataError(
            f"event has {e_raw.size} values but time has {t.size}",
            field="event", value=e_raw.size, allowed=f"{t.size} values",
        )
    if not (t.min() >= 0 and np.isfinite(t.max())):  # a NaN makes min() NaN
        bad = ~np.isfinite(t) | (t < 0)
        raise DataError(
            "times must be finite and non-negative", field="time",
            value=t[bad][:5].tolist(), allowed="finite values >= 0",
        )
    if e_raw.dtype.kind == "b":
        return t, e_raw
    if e_raw.dtype.kind in "iu":
        valid = bool(e_raw.min() >= 0 and e_raw.max() <= 1)
    else:
        valid = e_raw.dtype.kind == "f" and bool(((e_raw == 0) | (e_raw == 1)).all())
    if not valid:
        raise DataError(
            "events must be 0 (censored) or 1 (event)", field="event",
            value=np.unique(e_raw)[:5].tolist(), allowed="0, 1",
        )
    return t, e_raw.astype(bool)


def _sort_packed(t: FloatArray, e: NDArray[np.bool_]) -> tuple[FloatArray, NDArray[np.uint64]]:
    """Co-sort times and events with one uint64 sort.

    The key is the float's bit pattern shifted left by one with the event in the low bit:
    for t >= 0 the bit patterns order like the values, and the shift drops the sign bit (so
    -0.0 becomes +0.0). Returns the sorted times and the sorted keys.
    """
    key = t.view(np.uint64) << np.uint64(1)
    key |= e
    key.sort()
    ts = (key >> np.uint64(1)).view(np.float64)
    return ts, key


def _new_time_mask(ts: FloatArray, *, timefix: bool) -> NDArray[np.bool_]:
    """True at the first row of each distinct (merged) time in sorted times *ts*.

    R's ``aeqSurv`` ties neighbouring unique times whose gap is <= sqrt(eps) or <= sqrt(eps)
    times the mean unique time, i.e. a new time starts where the gap exceeds the larger of
    the two thresholds (a chain of ties takes its smallest time).
    """
    gaps = np.diff(ts)
    new_group = np.empty(ts.size, dtype=bool)
    new_group[0] = True
    np.greater(gaps, 0.0, out=new_group[1:])
    if timefix and ts.size > 1:
        n_unique = int(np.count_nonzero(new_group))
        unique_sum = float(ts[0]) + float(np.sum(ts[1:], where=new_group[1:]))
        threshold = _SQRT_EPS * max(1.0, unique_sum / n_unique)
        np.greater(gaps, threshold, out=new_group[1:])
    return new_group


def _group_starts(ts: FloatArray, *, timefix: bool) -> IntArray:
    """Index of the first row of each distinct (merged) time in sorted times *ts*."""
    return np.flatnonzero(_new_time_mask(ts, timefix=timefix))


def _intervals(
    surv: FloatArray, se_log: FloatArray, *, z: float, conf_type: str, ends: tuple[int, int]
) -> tuple[FloatArray, FloatArray]:
    """Pointwise limits; NaN where R gives NA.

    *ends* = (first index with S < 1, first index with S = 0): the curve is monotone, so the
    rows where S = 1 form a prefix and those where S = 0 a suffix.
    """
    first_below_one, first_zero = ends
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if conf_type == "plain":
            half = z * se_log * surv
            lower = np.maximum(surv - half, 0.0)
            upper = np.minimum(surv + half, 1.0)
        elif conf_type == "log":
            factor = np.exp(z * se_log)
            lower = surv / factor
            upper = np.minimum(surv * factor, 1.0)
            lower[first_zero:] = np.nan
            upper[first_zero:] = np.nan
        else:
            # log-log: exp(-exp(log(-log S) +- w)) = exp(log S * exp(+-w)), w = z se / |log S|
            log_s = np.log(surv)
            widen = np.divide(se_log, log_s)
            widen *= -z
            np.exp(widen, out=widen)
            lower = np.multiply(log_s, widen)
            np.exp(lower, out=lower)
            np.divide(log_s, widen, out=widen)
            upper = np.exp(widen, out=widen)
            for band in (lower, upper):
                band[:first_below_one] = np.nan
                band[first_zero:] = np.nan
    return lower, upper


def _first_at_or_below(curve: FloatArray, level: float, start: int = 0) -> int | None:
    """Index of the first point at or after *start* with curve <= level (NaN never counts)."""
    hit = curve[start:] <= level
    i = int(np.argmax(hit))
    return start + i if hit[i] else None


def _first_time_at_or_below(
    times: FloatArray, curve: FloatArray, level: float, last_time: float
) -> float | None:
    """R ``quantile.survfit``'s rule: first time the curve is <= level (within sqrt(eps)).

    If the curve sits exactly at the level over a flat, the answer is the midpoint of the
    flat (to the last follow-up time if the curve ends there). NaN points (R ``NA``) never
    count; ``None`` means the level is never reached.
    """
    i1 = _first_at_or_below(curve, level + _SQRT_EPS)
    if i1 is None:
        return None
    i2 = _first_at_or_below(curve, level - _SQRT_EPS, i1)
    if i2 == i1:
        return float(times[i1])
    end = float(times[i2]) if i2 is not None else last_time
    return 0.5 * (float(times[i1]) + end)


def _quantile(
    times: FloatArray, surv: FloatArray, lower: FloatArray, upper: FloatArray,
    *, probability: float, conf_level: float,
) -> Interval:
    level = 1.0 - probability
    last = float(times[-1])
    return Interval(
        estimate=_first_time_at_or_below(times, surv, level, last),
        lower=_first_time_at_or_below(times, lower, level, last),
        upper=_first_time_at_or_below(times, upper, level, last),
        conf_level=conf_level,
    )


def _check_options(conf_level: float, conf_type: str) -> None:
    if conf_type not in CONF_TYPES:
        allowed = ", ".join(CONF_TYPES)
        raise DesignError(f"conf_type={conf_type!r} is not allowed (allowed: {allowed})")
    if not 0.0 < conf_level < 1.0:
        raise DesignError(f"conf_level={conf_level!r} must lie strictly between 0 and 1")


def estimate_kaplan_meier(
    time: ArrayLike,
    event: ArrayLike,
    *,
    conf_level: float = 0.95,
    conf_type: str = "log-log",
    timefix: bool = True,
) -> KaplanMeierResult:
    """Kaplan-Meier estimate with Greenwood standard errors, pointwise intervals and median.

    Parameters
    ----------
    time
        Follow-up times, finite and >= 0 (any unit; results are in the same unit).
    event
        1 = event observed, 0 = censored at *time*.
    conf_level
        Two-sided level of the pointwise intervals and of the median's interval.
    conf_type
        ``log-log`` (default), ``log`` (R's default) or ``plain``.
    timefix
        Merge near-equal times as R ``survfit`` does (default ``True``).

    Returns
    -------
    KaplanMeierResult
        One row per distinct time; ``median`` is an :class:`Interval` with
        Brookmeyer-Crowley limits (``None`` where not reached).

    Raises
    ------
    DataError
        On missing, negative or non-finite times, or events other than 0/1.
    DesignError
        On an unknown ``conf_type`` or a level outside (0, 1).

    Examples
    --------
    The maintained group of the ``aml`` data in R's survival package (11 patients, weeks; 0 =
    censored). R ``survfit(Surv(time, status) ~ 1, conf.type = "log")`` prints median 31,
    0.95LCL 18, 0.95UCL NA:

    >>> from oncotrial.stats import estimate_kaplan_meier
    >>> time = [9, 13, 13, 18, 23, 28, 31, 34, 45, 48, 161]
    >>> event = [1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0]
    >>> km = estimate_kaplan_meier(time, event, conf_type="log")
    >>> km.median
    Interval(estimate=31.0, lower=18.0, upper=None, conf_level=0.95)
    >>> km.n, km.events
    (11, 7)
    >>> km.survival[:4].round(4).tolist()
    [0.9091, 0.8182, 0.7159, 0.6136]
    """
    _check_options(conf_level, conf_type)
    t, e = _validate_inputs(time, event)
    ts, key = _sort_packed(t, e)
    new_time = _new_time_mask(ts, timefix=timefix)
    total = ts.size
    key &= np.uint64(1)
    if new_time.all():
        # every time distinct (continuous data): the event bits are the counts, no reduction
        n_event = key.view(np.int64)
        n_risk = np.arange(total, 0, -1, dtype=np.int64)
        n_censor = np.subtract(1, n_event)
        times = ts
    else:
        starts = np.flatnonzero(new_time)
        n_event = np.add.reduceat(key.view(np.int64), starts)
        del key
        n_risk = total - starts
        counts = np.empty_like(starts)
        np.subtract(starts[1:], starts[:-1], out=counts[:-1])
        counts[-1] = total - starts[-1]
        n_censor = counts - n_event
        times = ts[starts]
    del ts
    nr = n_risk.astype(np.float64)
    nd = n_event.astype(np.float64)
    surv: FloatArray = np.divide(nd, nr)
    np.subtract(1.0, surv, out=surv)
    np.cumprod(surv, out=surv)
    with np.errstate(divide="ignore", invalid="ignore"):
        # Greenwood: sum d / (n (n - d)); d = n gives +inf (R: NaN std.err once S = 0).
        se_log = np.subtract(nr, nd, out=nr)
        se_log *= n_risk
        np.divide(nd, se_log, out=se_log)
        del nd
        np.cumsum(se_log, out=se_log)
        np.sqrt(se_log, out=se_log)
        std_err = surv * se_log
    ends = (
        int(np.argmax(surv < 1.0)) if surv[-1] < 1.0 else surv.size,
        int(np.argmax(surv <= 0.0)) if surv[-1] <= 0.0 else surv.size,
    )
    std_err[ends[1]:] = np.nan
    z = normal_quantile(0.5 + conf_level / 2.0)
    lower, upper = _intervals(surv, se_log, z=z, conf_type=conf_type, ends=ends)
    median = _quantile(times, surv, lower, upper, probability=0.5, conf_level=conf_level)
    return KaplanMeierResult(
        time=times, n_risk=n_risk, n_event=n_event, n_censor=n_censor, survival=surv,
        std_err=std_err, lower=lower, upper=upper, median=median, conf_level=conf_level,
        conf_type=conf_type, n=int(total), events=int(n_event.sum()),
    )


def estimate_km_quantile(km: KaplanMeierResult, *, probability: float) -> Interval:
    """The *probability* quantile of the event time (0.5 = median) with its interval.

    Uses the curve's own ``conf_type`` band (R ``quantile(fit, probs)``).

    Parameters
    ----------
    km
        A curve from :func:`estimate_kaplan_meier`.
    probability
        The share of subjects with the event by the quantile (0.25, 0.5, 0.75 …).

    Returns
    -------
    Interval
        The quantile and its interval at the curve's confidence level (infinite when the
        curve or a band never falls to 1 − *probability*: not reached).

    Raises
    ------
    DesignError
        If *probability* is not strictly between 0 and 1.

    Examples
    --------
    >>> from oncotrial.stats import estimate_kaplan_meier, estimate_km_quantile
    >>> km = estimate_kaplan_meier([9, 13, 13, 18, 23, 28, 31, 34, 45, 48, 161],
    ...                            [1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0])
    >>> estimate_km_quantile(km, probability=0.25).estimate
    18.0
    """
    if not 0.0 < probability < 1.0:
        raise DesignError(f"probability={probability!r} must lie strictly between 0 and 1")
    return _quantile(
        km.time, km.survival, km.lower, km.upper,
        probability=probability, conf_level=km.conf_level,
    )


def estimate_followup_median(
    time: ArrayLike, event: ArrayLike, *, conf_level: float = 0.95
) -> Interval:
    """Median follow-up by the reverse Kaplan-Meier method (censoring treated as the event).

    Schemper & Smith (1996): the "event" is being censored, and deaths/progressions censor
    follow-up. Returns the median with its log-log interval.

    Parameters
    ----------
    time, event
        As for :func:`estimate_kaplan_meier` (1 = death or progression, 0 = censored).
    conf_level
        Two-sided level of the interval.

    Returns
    -------
    Interval
        Median follow-up with its log-log interval (``None`` where not reached).

    Examples
    --------
    >>> from oncotrial.stats import estimate_followup_median
    >>> estimate_followup_median([9, 13, 13, 18, 23, 28, 31, 34, 45, 48, 161],
    ...                          [1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0])
    Interval(estimate=103.0, lower=13.0, upper=None, conf_level=0.95)
    """
    t, e = _validate_inputs(time, event)
    km = estimate_kaplan_meier(t, ~e, conf_level=conf_level, conf_type="log-log")
    return km.median


def _sort_with_labels(
    t: FloatArray, e: NDArray[np.bool_], g: IntArray, k: int
) -> tuple[FloatArray, NDArray[np.uint64]]:
    """Times in order and, for each, ``2 * group + event``, with one value sort when possible.

    The key is the time's bit pattern above ``1 + b`` low bits holding the group code and the
    event (b bits for k groups). It fits in 64 bits when the bit patterns of the smallest
    positive and the largest time are less than 2^(63 - b) apart (zeros get their own key);
    otherwise an argsort is used.
    """
    bits = int(k - 1).bit_length()
    shift = np.uint64(1 + bits)
    tb = t.view(np.uint64)
    smallest = float(np.min(t, where=t > 0, initial=np.inf))
    if np.isfinite(smallest):
        low = np.float64(smallest).view(np.uint64) - np.uint64(1)
        span = int(np.float64(t.max()).view(np.uint64) - low)
        has_zero = bool(smallest > float(t.min()))
        if span < (1 << (63 - bits)):
            key = np.subtract(tb, low)  # a zero time wraps round; fixed just below
            if has_zero:
                key[tb == 0] = 0
            key <<= shift
            key |= g.astype(np.uint64) << np.uint64(1)
            key |= e
            key.sort()
            labels = key & ((np.uint64(1) << shift) - np.uint64(1))
            key >>= shift
            key += low
            if has_zero:
                key[key == low] = 0
            return key.view(np.float64), labels
    order = np.argsort(t, kind="stable")
    labels = (g[order].astype(np.uint64) << np.uint64(1)) | e[order]
    return t[order], labels


def _log_rank_parts(
    t: FloatArray, e: NDArray[np.bool_], g: IntArray, k: int, *, timefix: bool
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Observed, expected and the variance matrix of one stratum (R ``survdiff`` rho = 0).

    Rows in time order; per group, running counts of members give the number at risk at each
    death time (members at or after the time's first row), and running counts of deaths the
    deaths per time (differences at the times' last rows).
    """
    ts, labels = _sort_with_labels(t, e, g, k)
    n = ts.size
    starts = np.flatnonzero(_new_time_mask(ts, timefix=timefix))
    last_rows = np.empty_like(starts)
    last_rows[:-1] = starts[1:] - 1
    last_rows[-1] = n - 1
    count_type = np.int32 if n < 2**31 else np.int64  # running counts: half the traffic
    dead_by_time = np.diff(np.cumsum(labels & np.uint64(1), dtype=count_type)[last_rows],
                           prepend=0)
    event_times = np.flatnonzero(dead_by_time)
    first = starts[event_times]
    d_j = dead_by_time[event_times].astype(np.float64)
    n_j = np.subtract(n, first, dtype=np.float64)
    frac = np.empty((k, first.size))
    observed = np.empty(k)
    for group in range(k - 1):  # the last group is what the others leave
        dead_code = np.uint64(2 * group + 1)
        member = (labels | np.uint64(1)) == dead_code
        cum_member = np.cumsum(member, dtype=count_type)
        # members at or after each death time's first row
        at_risk = np.subtract(cum_member[-1], cum_member[first - 1], dtype=np.float64)
        if first[0] == 0:
            at_risk[0] = cum_member[-1]
        np.divide(at_risk, n_j, out=frac[group])
        observed[group] = float(np.count_nonzero(labels == dead_code))
    np.subtract(1.0, frac[:-1].sum(axis=0), out=frac[-1])
    observed[-1] = float(d_j.sum()) - observed[:-1].sum()
    expected = frac @ d_j
    # d (n - d) / (n - 1); with n = 1 the numerator is 0 (d <= n), so dividing by 1 is exact
    factor = n_j - d_j
    factor *= d_j
    factor /= np.maximum(n_j - 1.0, 1.0)
    weighted = frac * factor
    variance = np.diag(weighted.sum(axis=1)) - np.einsum("in,jn->ij", weighted, frac)
    return observed, expected, variance


def _label_codes(values: NDArray[np.generic]) -> tuple[NDArray[np.generic], IntArray]:
    """Sorted distinct labels and each row's code; small integer labels without a sort."""
    if values.dtype.kind in "iu" and values.size:
        low, high = int(values.min()), int(values.max())
        if high - low < 1 << 16:
            shifted = values.astype(np.int64, copy=False)
            if low:
                shifted = shifted - low
            present = np.bincount(shifted, minlength=high - low + 1) > 0
            if present.all():  # already the codes 0..k-1 (after the shift)
                return np.arange(low, high + 1), shifted
            lookup = np.cumsum(present) - 1
            return np.flatnonzero(present) + low, lookup[shifted]
    labels, codes = np.unique(values, return_inverse=True)
    return labels, codes.astype(np.int64).ravel()


def estimate_log_rank(
    time: ArrayLike, event: ArrayLike, group: ArrayLike, *, strata: ArrayLike | None = None,
    timefix: bool = True,
) -> LogRankResult:
    """Log-rank test across the groups in *group* (R ``survdiff(Surv(time, event) ~ group)``).

    Parameters
    ----------
    time, event
        As for :func:`estimate_kaplan_meier`.
    group
        One label per subject; at least two distinct labels.
    strata
        Optional stratum label per subject: observed, expected and variance are summed over
        strata (R ``survdiff(... ~ group + strata(s))``).
    timefix
        Merge near-equal times as R ``survdiff`` does (default ``True``), as in
        :func:`estimate_kaplan_meier`.

    Returns
    -------
    LogRankResult
        Observed and expected events per group (sorted labels), the variance matrix, the
        chi-square statistic on k - 1 degrees of freedom and its p-value.

    Raises
    ------
    DataError
        On invalid data, mismatched lengths or fewer than two groups.

    Examples
    --------
    Maintained against non-maintained chemotherapy in R's ``aml`` data: R ``survdiff(Surv(time,
    status) ~ x, data = aml)`` gives observed 7 and 11, expected 10.69 and 7.31, chi-square 3.4
    on 1 degree of freedom, p = 0.07.

    >>> from oncotrial.stats import estimate_log_rank
    >>> time = [9, 13, 13, 18, 23, 28, 31, 34, 45, 48, 161,
    ...         5, 5, 8, 8, 12, 16, 23, 27, 30, 33, 43, 45]
    >>> event = [1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0,
    ...          1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1]
    >>> group = ["Maintained"] * 11 + ["Nonmaintained"] * 12
    >>> test = estimate_log_rank(time, event, group)
    >>> test.groups, test.observed.tolist(), test.expected.round(2).tolist()
    (('Maintained', 'Nonmaintained'), [7.0, 11.0], [10.69, 7.31])
    >>> round(test.chisq, 2), test.df, round(test.p_value, 4)
    (3.4, 1, 0.0653)
    """
    t, e = _validate_inputs(time, event)
    g_raw = np.asarray(group).ravel()
    if g_raw.size != t.size:
        raise DataError(
            f"group has {g_raw.size} values but time has {t.size}",
            field="group", value=g_raw.size, allowed=f"{t.size} values",
        )
    labels, g = _label_codes(g_raw)
    k = labels.size
    if k < 2:
        raise DataError("the log-rank test needs at least two groups", field="group",
                        value=labels.tolist(), allowed="two or more distinct labels")
    if strata is None:
        observed, expected, variance = _log_rank_parts(t, e, g, k, timefix=timefix)
    else:
        s_raw = np.asarray(strata).ravel()
        if s_raw.size != t.size:
            raise DataError(f"strata has {s_raw.size} values but time has {t.size}",
                            field="strata", value=s_raw.size, allowed=f"{t.size} values")
        _, s = _label_codes(s_raw)
        order = np.argsort(s, kind="stable")
        bounds = np.flatnonzero(np.diff(s[order])) + 1
        observed, expected, variance = np.zeros(k), np.zeros(k), np.zeros((k, k))
        for rows in np.split(order, bounds):
            o, x, v = _log_rank_parts(t[rows], e[rows], g[rows], k, timefix=timefix)
            observed += o
            expected += x
            variance += v
    diff = (observed - expected)[:-1]
    sub = variance[:-1, :-1]
    chisq = float(diff @ np.linalg.pinv(sub) @ diff)
    df = k - 1
    return LogRankResult(
        groups=tuple(str(label) for label in labels.tolist()),
        n=np.bincount(g, minlength=k).astype(np.int64),
        observed=observed, expected=expected, variance=variance,
        chisq=chisq, df=df, p_value=chi2_sf(chisq, df),
    )
