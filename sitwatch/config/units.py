"""Config keys that are lengths of time: a plain number in the key's unit, or a duration with
its units (``sit_limit = "45m"``, ``dwell = "10s"``, ``snooze_minutes = "1h"``).

A string that is a plain number ("1800") is left to pydantic, which reads it in the key's unit
as before; anything else must be a duration, else the error says the unit and both ways to
write it."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator

from sitwatch.core.spans import span_seconds


def _in_unit(unit: str, factor: float, example: str, *, whole: bool = False) -> BeforeValidator:
    def parse(v: Any) -> Any:
        if not isinstance(v, str):
            return v
        try:
            float(v)
        except ValueError:
            pass
        else:
            return v  # "1800": a number in the key's unit, as pydantic reads it
        try:
            value = span_seconds(v) / factor
        except ValueError:
            raise ValueError(
                f"write a number of {unit} (e.g. {example}) or a duration with its unit "
                "(e.g. 90s, 30m, 1h30m)") from None
        if whole and value != int(value):
            raise ValueError(f"{v!r} is {value:g} {unit}: this key takes whole {unit}")
        return value

    return BeforeValidator(parse)


#: A number of seconds, or a duration such as "30m".
Seconds = Annotated[float, _in_unit("seconds", 1, "90")]
#: Whole seconds (e.g. the MQTT keepalive), or a duration such as "1m".
WholeSeconds = Annotated[int, _in_unit("seconds", 1, "60", whole=True)]
#: A number of minutes, or a duration such as "1h".
Minutes = Annotated[float, _in_unit("minutes", 60, "30")]
#: Whole minutes, or a duration such as "1h".
WholeMinutes = Annotated[int, _in_unit("minutes", 60, "30", whole=True)]
#: A number of hours, or a duration such as "6h30m".
Hours = Annotated[float, _in_unit("hours", 3600, "6")]
