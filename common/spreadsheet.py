"""Cells for files made for spreadsheet programs (CSV exports): a text cell that starts with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return would be read by Excel, WPS or LibreOffice as a
formula (``=HYPERLINK(…)`` a link in a staffer's sheet, ``=cmd|…`` worse). Every CSV writer passes
its cells through :func:`spreadsheet_cell`, which puts a ``'`` in front of such text (OWASP's
advice: the program then shows the text as typed). Numbers stay numbers."""
from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value):
    """``value`` as a CSV cell: ``None`` → ``""``; text that a spreadsheet would run as a formula
    gets a leading ``'``; anything else unchanged."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
