"""``python -m intake_bot``: the same as the ``intake-bot`` command."""

import sys

from intake_bot.cli import main

sys.exit(main())
