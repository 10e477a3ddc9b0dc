"""The console the command-line tool prints through."""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from rich.console import Console, ConsoleDimensions
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

#: Seconds a command runs before its first progress line outside a terminal.
PROGRESS_DELAY_SECONDS = 5.0

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


class ProgressLines:
    """Progress as plain lines, for output that is not a terminal (CI logs,
    cron mail, `| tee`), where the live bars are suppressed: one line when a
    refresh step starts and one when it ends, one line per task label when it
    starts and at each further tenth of its total, and one line every
    `node_every` dbt nodes. Each line starts with the seconds elapsed since
    the command began. Nothing is printed in the first `delay` seconds, so a
    command that finishes quickly (a refresh with nothing new: one line, "up
    to date") prints only its result, as tools with delayed progress do."""

    def __init__(
        self,
        emit: Callable[[str], None],
        node_every: int = 20,
        clock: Callable[[], float] = time.monotonic,
        delay: float = 0.0,
    ) -> None:
        self.emit = emit
        self.node_every = node_every
        self.clock = clock
        self.delay = delay
        self.t0 = clock()
        self.tenths: dict[int, tuple[int, int]] = {}
        self.nodes: Counter[str] = Counter()

    def line(self, text: str) -> None:
        elapsed = self.clock() - self.t0
        if elapsed < self.delay:
            return
        # labels carry file names from landing/: escaped, never acted on
        self.emit(f"[{elapsed:7.1f}s] {one_line(text)}")

    def step(self, name: str, status: str, seconds: float | None = None) -> None:
        """A refresh step started (status 'started') or ended (its status)."""
        took = "" if seconds is None else f" in {seconds:.1f}s"
        self.line(f"step {name}: {status}{took}")

    def task(self, label: str, done: int, total: int) -> None:
        """A progress(label, done, total) callback. Tasks are told apart by
        their total, not their label: the loader labels each call with the
        file it is at ("orders/orders__b01.csv", 3, 153), which must give a
        line per tenth of the files, not one per file. A count that goes
        back (a new task of the same total) starts over."""
        tenth = 10 * done // total if total else 0
        last = self.tenths.get(total)
        self.tenths[total] = (done, max(tenth, last[1]) if last and done >= last[0] else tenth)
        if last is not None and done >= last[0] and tenth <= last[1]:
            return
        self.line(f"{label}: {done:,}/{total:,}" if total else f"{label}: {done:,}")

    def node(self, status: str) -> None:
        """A dbt node finished with `status`."""
        self.nodes[status] += 1
        if sum(self.nodes.values()) % self.node_every == 0:
            self.nodes_line()

    def nodes_line(self) -> None:
        """The dbt nodes done so far, by status."""
        done = sum(self.nodes.values())
        by_status = ", ".join(f"{k} {v}" for k, v in sorted(self.nodes.items()))
        self.line(f"dbt build: {done:,} nodes done ({by_status})")


def progress_bars(console: Console) -> Progress:
    """Live progress bars on `console`, off when it is not a terminal."""
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}", style="bold", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )


def progress_delay() -> float:
    """Seconds before the first progress line: CRM_PROGRESS_DELAY, default
    PROGRESS_DELAY_SECONDS (0 prints every line from the start)."""
    text = os.environ.get("CRM_PROGRESS_DELAY", "").strip()
    try:
        return max(0.0, float(text)) if text else PROGRESS_DELAY_SECONDS
    except ValueError:
        raise ValueError(f"CRM_PROGRESS_DELAY must be a number of seconds, not {text!r}") from None


def progress_lines(console: Console) -> ProgressLines | None:
    """Plain progress lines on `console` when it is not a terminal (where the
    live bars of `progress_bars` are off), else None."""
    if console.is_terminal:
        return None

    def emit(text: str) -> None:
        console.print(text, highlight=False, soft_wrap=True)

    return ProgressLines(emit, delay=progress_delay())


class Reporter:
    """Adapts the library's progress(label, done, total) callbacks to a rich
    Progress, and to plain lines when the output is not a terminal."""

    def __init__(self, progress: Progress, lines: ProgressLines | None) -> None:
        self.progress = progress
        self.tasks: dict[str, Any] = {}
        self.lines = lines

    def __call__(self, label: str, done: int, total: int) -> None:
        if self.lines is not None:
            self.lines.task(label, done, total)
        if label not in self.tasks:
            self.tasks[label] = self.progress.add_task(label, total=total or None)
        self.progress.update(self.tasks[label], completed=done, total=total or None)


def step_lines(lines: ProgressLines) -> Callable[[str, str, float | None], None]:
    """A pipeline step observer printing a line as each step starts and ends
    (with the dbt nodes' tally when the build ends)."""

    def observe(name: str, status: str, seconds: float | None) -> None:
        if name == "dbt build" and status != "started" and lines.nodes:
            lines.nodes_line()
        lines.step(name, status, seconds)

    return observe
