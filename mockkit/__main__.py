"""`python -m mockkit`."""

import sys

from mockkit.cli import main

sys.exit(main())
