"""The reading options of a mapping: csv:, numbers:, null markers, formats, time zone.

These may be set at the top of a mapping (defaults for every entity), per
entity block, and numbers: also per column; `OptionParser` merges them level
by level and checks each (csv options DuckDB's reader or the report trimming
understand, whole numbers of lines, a decimal separator that differs from the
thousands one, currency symbols without digits).
"""

from __future__ import annotations

from typing import Any

from crm_warehouse.imports.parser_base import ParserBase
from crm_warehouse.imports.spec import (
    BOOL_TRUE_WORDS,
    BOOL_WORDS,
    CSV_KEYS,
    CSV_LINE_KEYS,
    NUMBER_KEYS,
    NumberFormat,
)


class OptionParser(ParserBase):
    """Parses the options a mapping level inherits and may override."""

    def inherited(
        self, data: dict[str, Any], path: tuple[Any, ...], parent: dict[str, Any] | None
    ) -> dict[str, Any]:
        out = dict(parent or {"null_values": (), "timezone": "UTC", "csv": {}})
        if "null_values" in data:
            out["null_values"] = self.text_list(
                data["null_values"], (*path, "null_values"), "null_values"
            )
        for key in ("date_format", "timestamp_format", "timezone"):
            if key in data:
                value = self.text(data[key], (*path, key), key)
                if key == "timezone":
                    self.check_timezone(value, (*path, key))
                    out[key] = value or "UTC"
                else:
                    self.check_format(value, (*path, key))
                    out[key] = value
                out[f"{key}__line"] = self.loc.line((*path, key))
        if "csv" in data:
            csv = data["csv"]
            if not isinstance(csv, dict):
                self.add(
                    (*path, "csv"),
                    "csv must be a mapping of read options",
                    "e.g. csv: {delimiter: ';'}",
                )
            else:
                self.unknown_keys(csv, CSV_KEYS, (*path, "csv"), "csv options")
                good = {}
                for k, v in csv.items():
                    if k not in CSV_KEYS:
                        continue
                    if k in CSV_LINE_KEYS and not (isinstance(v, str) and v.isdigit()):
                        self.add(
                            (*path, "csv", k),
                            f"csv option {k} must be a whole number of lines, not {v!r}",
                            f"e.g. csv: {{{k}: 3}}",
                        )
                        continue
                    if k in ("stop_at_blank_line", "header") and (
                        not isinstance(v, str) or v.strip().lower() not in BOOL_WORDS
                    ):
                        self.add(
                            (*path, "csv", k),
                            f"csv option {k} must be true or false, not {v!r}",
                            f"e.g. csv: {{{k}: true}}",
                        )
                        continue
                    good[k] = str(v)
                if "skip" in good and "skip_header_lines" in good:
                    self.add(
                        (*path, "csv", "skip"),
                        "csv options skip and skip_header_lines say the same thing",
                        "keep skip_header_lines only",
                    )
                if "skip" in good:  # the older name
                    good["skip_header_lines"] = good.pop("skip")
                out["csv"] = {**out["csv"], **good}
        if "numbers" in data:
            nums = self.numbers_dict(data["numbers"], (*path, "numbers"))
            if nums is not None:
                out["numbers"] = {**out.get("numbers", {}), **nums}
                out["numbers__line"] = self.loc.line((*path, "numbers"))
        return out

    def numbers_dict(self, data: Any, path: tuple[Any, ...]) -> dict[str, Any] | None:
        """The valid keys of a numbers: block (problems reported)."""
        example = "e.g. numbers: {decimal: ',', thousands: '.', currency_symbols: ['€']}"
        if not isinstance(data, dict):
            self.add(path, "numbers must be a mapping of number-format options", example)
            return None
        self.unknown_keys(data, NUMBER_KEYS, path, "numbers")
        out: dict[str, Any] = {}
        if "decimal" in data:
            dec = data["decimal"]
            if dec not in (".", ","):
                self.add(
                    (*path, "decimal"),
                    f"numbers: decimal must be '.' or ',', not {dec!r}",
                    "quote it: decimal: ','",
                )
            else:
                out["decimal"] = dec
        if "thousands" in data:
            th = data["thousands"]
            if th is not None and th not in (",", ".", " ", "'", "_"):
                self.add(
                    (*path, "thousands"),
                    f"numbers: thousands must be one of ',', '.', ' ', \"'\" or null, not {th!r}",
                    "quote it: thousands: ','",
                )
            else:
                out["thousands"] = th
        if "currency_symbols" in data:
            syms = self.text_list(
                data["currency_symbols"], (*path, "currency_symbols"), "currency_symbols"
            )
            if any(not c.strip() or any(ch.isdigit() for ch in c) for c in syms):
                self.add(
                    (*path, "currency_symbols"),
                    "numbers: a currency symbol must be a non-blank text without digits",
                    "e.g. currency_symbols: ['$', '€', 'R$', 'USD']",
                )
            else:
                out["currency_symbols"] = tuple(c.strip() for c in syms)
        if "percent" in data:
            pct = data["percent"]
            if not isinstance(pct, str) or pct.strip().lower() not in BOOL_WORDS:
                self.add((*path, "percent"), "numbers: percent must be true or false")
            else:
                out["percent"] = pct.strip().lower() in BOOL_TRUE_WORDS
        return out

    def number_format(
        self, nums: dict[str, Any] | None, line: int | None, path: tuple[Any, ...]
    ) -> NumberFormat | None:
        if nums is None:
            return None
        fmt = NumberFormat(
            decimal=nums.get("decimal", "."),
            thousands=nums.get("thousands"),
            currency_symbols=tuple(nums.get("currency_symbols", ())),
            percent=bool(nums.get("percent", False)),
            line=line,
        )
        if fmt.thousands == fmt.decimal:
            self.add(
                path,
                f"numbers: thousands and decimal are both '{fmt.decimal}'",
                "a decimal comma goes with thousands: '.' or ' ' (or none)",
            )
        return fmt
