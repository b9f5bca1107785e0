"""A CSV file as the records and fields it was written with, so that one cell can change and every other byte stay.

Canvas imports its own gradebook export back; the instructor expects the file they exported with one column filled,
not a file re-quoted by another CSV writer. Fields are split as RFC 4180 says (commas, double quotes doubled inside
quotes, line breaks inside quotes); each keeps its raw text, each record its line ending.
"""

from __future__ import annotations

from dataclasses import dataclass

BOM = "\ufeff"


@dataclass
class RawRecord:
    fields: list[str]   # each field's text as written, quotes included
    ending: str         # "\r\n", "\n", "\r" or "" (the last line without one)

    def values(self) -> list[str]:
        return [unquote(field) for field in self.fields]

    def text(self) -> str:
        return ",".join(self.fields) + self.ending


class RawCsvError(ValueError):
    """The text is not CSV as RFC 4180 writes it (a quote left open)."""


def split(text: str) -> list[RawRecord]:
    """Every record of `text` (without a BOM), its fields' raw text and its line ending."""
    records: list[RawRecord] = []
    fields: list[str] = []
    start, position, length = 0, 0, len(text)
    while position <= length:
        if position < length and text[position] == '"' and position == start:
            closing = position + 1
            while True:
                closing = text.find('"', closing)
                if closing < 0:
                    raise RawCsvError(f"a quoted field opened at character {position} is never closed")
                if text.startswith('""', closing):
                    closing += 2
                    continue
                break
            position = closing + 1
            continue
        if position == length or text[position] in ",\r\n":
            fields.append(text[start:position])
            if position < length and text[position] == ",":
                position += 1
                start = position
                continue
            ending = "\r\n" if text.startswith("\r\n", position) else text[position:position + 1]
            if fields != [""] or ending:
                records.append(RawRecord(fields, ending))
            fields = []
            position += max(1, len(ending))
            start = position
            continue
        position += 1
    return records


def unquote(field: str) -> str:
    if len(field) >= 2 and field.startswith('"') and field.endswith('"'):
        return field[1:-1].replace('""', '"')
    return field


def quote(value: str) -> str:
    """A field's raw text for `value`: quoted only when it must be (as Canvas's and most CSV writers do)."""
    if any(char in value for char in ',"\r\n') or value != value.strip(" "):
        return '"' + value.replace('"', '""') + '"'
    return value
