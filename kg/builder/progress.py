"""Build progress: a bar with rate and ETA on a terminal, plain lines elsewhere, nothing when quiet."""

from __future__ import annotations

import sys
import time


class Progress:
    """Called with (done, total) after each report: draws a bar on a terminal, prints a line per tenth elsewhere.

    >>> import io
    >>> log = io.StringIO()
    >>> progress = Progress(log)
    >>> for done in range(1, 4):
    ...     progress(done, 3)
    >>> log.getvalue().splitlines()[-1].startswith("3/3 reports read in ")
    True
    """

    def __init__(self, stream=None, quiet: bool = False):
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.start = time.perf_counter()
        self.last = self.start
        self.tenth = 0

    def __call__(self, done: int, total: int) -> None:
        if self.quiet or total == 0:
            return
        now = time.perf_counter()
        elapsed = max(now - self.start, 1e-9)
        rate = done / elapsed
        if done == total:
            end = "\r" + " " * 79 + "\r" if self.tty else ""
            self._write(f"{end}{total}/{total} reports read in {elapsed:.1f} s ({rate:.1f}/s); writing the outputs\n")
            return
        eta = _clock((total - done) / rate)
        if self.tty:
            if now - self.last >= 0.1:  # redraw ten times a second at most
                filled = 30 * done // total
                self._write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {done}/{total} {rate:.1f} reports/s, ETA {eta} ")
                self.last = now
        elif done * 10 // total > self.tenth and now - self.last >= 1:  # a line per tenth, a second apart at least
            self.tenth = done * 10 // total
            self._write(f"{done}/{total} reports ({rate:.1f}/s, ETA {eta})\n")
            self.last = now

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()


def _clock(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    return f"{seconds // 60}:{seconds % 60:02d}"
