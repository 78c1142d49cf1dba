import signal
import sys

from .cli import main
from .quick_exit import exit_quickly

# A job queue stops runs with SIGTERM: as SystemExit it lets the loop mark status.json "stopped".
signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
exit_quickly(main())
