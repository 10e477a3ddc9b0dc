"""The console the command-line tool prints through."""

from __future__ import annotations

from typing import Any

from rich.console import Console, ConsoleDimensions

#: Width of the output when it is not a terminal: wide enough that no line is wrapped.
UNWRAPPED_WIDTH = 100_000

#: Control characters (C0, DEL, C1) -> a visible escape: data in a message
#: (a file name, a cell value) must not move the cursor, recolour or clear the
#: terminal (ESC sequences) nor split the message over lines.
_CONTROLS = {
    c: {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(chr(c), f"\\x{c:02x}")
    for c in [*range(0x20), *range(0x7F, 0xA0)]
}


def one_line(text: str) -> str:
    """`text` with its control characters escaped (`\\n`, `\\x1b`): one
    message, one line, nothing the terminal would act on."""
    return text.translate(_CONTROLS)


class PlainConsole(Console):
    """Prints text as given. File names, cell values, column names and messages
    come from the data, so no text is read as console markup (`[red]`, whose
    unbalanced `[/yellow]` would raise) or emoji codes (`:x:`); styles are
    passed as `style=`. When the output is not a terminal (a log, a pipe, a
    scheduler) lines are neither wrapped nor cropped: one message, one line."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(markup=False, emoji=False, **kwargs)

    @property
    def size(self) -> ConsoleDimensions:
        size = super().size
        if self.is_terminal:
            return size
        return ConsoleDimensions(UNWRAPPED_WIDTH, size.height)

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        Console.size.fset(self, new_size)

    def print(self, *objects: Any, **kwargs: Any) -> None:
        if not self.is_terminal:
            kwargs.setdefault("soft_wrap", True)
        super().print(*objects, **kwargs)
