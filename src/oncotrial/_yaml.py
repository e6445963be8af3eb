"""YAML text to Python values, with libyaml's parser where PyYAML was built with it."""

from __future__ import annotations

from typing import Any

import yaml

__all__ = ["YAMLError", "read_yaml"]

YAMLError = yaml.YAMLError

# The C loader parses the protocol and rule tables several times faster than the pure-Python
# one and builds the same values with the same safe constructor.
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(text: str) -> Any:
    """The value of YAML *text*, safe tags only."""
    return yaml.load(text, Loader=_LOADER)  # noqa: S506  (a safe loader)
