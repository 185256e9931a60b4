"""``python -m formcheck.cli``."""

import sys

from formcheck.cli.main import main

sys.exit(main())
