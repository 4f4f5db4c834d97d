"""`python -m mockkit`."""

import sys

from mockkit.cli import main

if __name__ == "__main__":
    sys.exit(main())
