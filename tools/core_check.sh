#!/bin/sh
# Run the CDISC CORE rules engine on an SDTM folder, offline (see tools/core_check.py).
#   CORE_PYTHON  a Python 3.12 with cdisc-rules-engine installed (pip install cdisc-rules-engine)
#   CORE_CACHE   the engine's rules cache: resources/cache of github.com/cdisc-org/cdisc-rules-engine
# Usage: CORE_PYTHON=... CORE_CACHE=... tools/core_check.sh SDTM_DIR [OUT.csv] [more options]
# Defaults: SDTMIG 3-3 with SDTM CT 2015-12-18 (the versions oncotrial's specification cites).
set -eu
: "${CORE_PYTHON:?set CORE_PYTHON to a Python 3.12 that has cdisc-rules-engine installed}"
: "${CORE_CACHE:?set CORE_CACHE to the CORE rules cache folder (holding rules.pkl)}"
if [ $# -lt 1 ]; then
    echo "usage: tools/core_check.sh SDTM_DIR [OUT.csv] [--rule CORE-000168 ...]" >&2
    exit 2
fi
sdtm=$1; shift
out=core_findings.csv
if [ $# -gt 0 ]; then out=$1; shift; fi
exec "$CORE_PYTHON" "$(dirname "$0")/core_check.py" --cache "$CORE_CACHE" --sdtm "$sdtm" \
    --standard sdtmig --version 3-3 --ct sdtmct-2015-12-18 --out "$out" "$@"
