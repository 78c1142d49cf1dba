"""The reader's one exception: an input refused as a whole, said in one line."""
from __future__ import annotations

from diagnostics.files import shown


class ReaderError(Exception):
    """A file or input the reader refuses; the message is one line: '<file>: <problem>'. Both
    parts are made printable (`files.shown`): an upload or member name may hold a newline or
    bytes that are not UTF-8."""

    def __init__(self, file: str, problem: str):
        self.file, self.problem = shown(file), shown(problem)
        super().__init__(f"{self.file}: {self.problem}")
