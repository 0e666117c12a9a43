"""Reading YAML that a user hands over (scenario files, calibrated sets, experiment overlays).

:func:`load_yaml` is ``yaml.safe_load`` with the guards a file from anywhere needs: a size cap
checked before reading, strict UTF-8, no aliases (so a "billion laughs" file cannot expand into
gigabytes) and a bounded nesting depth. Every refusal is a :class:`sim.core.params.ConfigError` of
one line naming the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from sim.core.params import ConfigError

#: Largest YAML file read (bytes): the biggest shipped scenario is under 5 KB.
MAX_YAML_BYTES = 1_000_000
#: Deepest nesting of mappings and lists accepted (a scenario needs 4).
MAX_YAML_DEPTH = 50


class _NoAliasLoader(yaml.SafeLoader):
    """Safe loader that refuses aliases (``*name``) and deep nesting while composing."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        """Compose one node; raise on an alias or beyond :data:`MAX_YAML_DEPTH` levels."""
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise _Refused(f"uses an alias (*{event.anchor}); write the values out", event)
        self._depth = getattr(self, "_depth", 0) + 1
        try:
            if self._depth > MAX_YAML_DEPTH:
                raise _Refused(f"nested more than {MAX_YAML_DEPTH} levels deep", self.peek_event())
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


class _Refused(Exception):
    """A YAML construct :class:`_NoAliasLoader` does not accept (carries the event for its line)."""

    def __init__(self, reason: str, event: Any) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = getattr(getattr(event, "start_mark", None), "line", None)


def load_yaml(
    path: Path | str, label: str | None = None, *, max_bytes: int = MAX_YAML_BYTES
) -> Any:
    """Parse a YAML file safely.

    Args:
        path: the file.
        label: how messages name the file (default: the path as given).
        max_bytes: refuse larger files before reading them.

    Returns:
        The parsed document (None for an empty file).

    Raises:
        ConfigError: one line naming the file: missing or unreadable, too large, not UTF-8,
            not valid YAML (with the line), an alias, or nesting too deep.
    """
    label = str(path) if label is None else label
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > max_bytes:
            raise ConfigError(
                f"{label}: file too large ({size:,} bytes; at most {max_bytes:,} bytes of YAML)"
            )
        raw = p.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{label}: cannot read file ({exc.strerror or exc})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{label}: not UTF-8 text (byte {exc.start}); save the file as UTF-8"
        ) from None
    try:
        return yaml.load(text, Loader=_NoAliasLoader)  # a SafeLoader subclass
    except _Refused as exc:
        where = f" (line {exc.line + 1})" if exc.line is not None else ""
        raise ConfigError(f"{label}: {exc.reason}{where}") from None
    except yaml.YAMLError as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        where = f" (line {line + 1})" if line is not None else ""
        raise ConfigError(f"{label}: not valid YAML{where}") from None
    except RecursionError:
        raise ConfigError(f"{label}: nested too deeply") from None
