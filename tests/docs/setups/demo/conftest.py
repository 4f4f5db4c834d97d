"""Setup `demo`: the demo shop's harness (`app`, `client`, `app_factory`, `auth`, ...).

For examples that show mockkit on the demo shop of this repository, whose fixtures live in
`tests/demo/conftest.py`. The example runs from a temporary directory; the harness names the
repository in `MOCKKIT_DOCS_REPO`, which goes on the path so `demo_app` and `tests` import.
"""

import os
import sys

sys.path.insert(0, os.environ["MOCKKIT_DOCS_REPO"])

pytest_plugins = ["tests.demo.conftest"]
