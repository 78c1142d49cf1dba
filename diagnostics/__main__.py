"""`python -m diagnostics PATH [--json] [--lang en|zh]` / `PATH --inventory` (see cli.py)."""
import os
import sys

from diagnostics.cli import main

try:
    sys.exit(main())
except BrokenPipeError:  # output piped into `head` & co.: stop quietly, as Unix tools do
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    sys.exit(0)
