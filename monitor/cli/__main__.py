"""``python -m monitor.cli``: the same as the ``slawatch`` command."""

import sys

from .main import main

sys.exit(main())
