"""The reader's one exception: an input refused as a whole, said in one line."""
from __future__ import annotations

from diagnostics.files import shown
from diagnostics.messages import Msg


class ReaderError(Exception):
    """A file or input the reader refuses; the message is one line: '<file>: <problem>'. Both
    parts are made printable (`files.shown`): an upload or member name may hold a newline or
    bytes that are not UTF-8. A `Msg` problem keeps its key (its names made printable the same
    way), and the exception carries Msg("reader.refused", file, problem): `messages.render`
    words it in any language."""

    def __init__(self, file: str, problem: str):
        self.file, self.problem = shown(file), _shown(problem)
        whole = f"{self.file}: {self.problem}"
        super().__init__(Msg("reader.refused", file=self.file, problem=self.problem)
                         if isinstance(self.problem, Msg) else whole)


def _shown(problem: str) -> str:
    """`shown(problem)`, still a Msg when `problem` was one (and the two read the same)."""
    text = shown(problem)
    if isinstance(problem, Msg):
        kept = problem.with_params(shown)
        if kept == text:
            return kept
    return text
