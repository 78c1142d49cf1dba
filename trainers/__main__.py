import signal
import sys

from .cli import main

# A job queue stops runs with SIGTERM: as SystemExit it lets the loop mark status.json "stopped".
signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
sys.exit(main())
