"""Setup `fastapi`: the FastAPI example's fixtures (`client`, `github`, `stripe_fake`).

For examples that show mockkit on `examples/fastapi/`, whose fixtures live in its
`tests/conftest.py`. The example runs from a temporary directory; the harness names the
repository in `MOCKKIT_DOCS_REPO`, which goes on the path so `examples` imports.
"""

import os
import sys

sys.path.insert(0, os.environ["MOCKKIT_DOCS_REPO"])

pytest_plugins = ["examples.fastapi.tests.conftest"]
