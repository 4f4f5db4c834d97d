"""Run the demo shop's development server: `python -m demo_app` (port from `PORT`, default 5000).

Everything the shop talks to comes from configuration (environment variables, see
`demo_app.config`, or the mapping passed to `main`), so the same command serves it against
real providers or local fakes.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from demo_app import create_app
from demo_app.cli import seed_products
from demo_app.db import db


def main(config: Mapping[str, Any] | None = None, port: int | None = None) -> None:
    """Create the tables if needed, seed the sample products, and serve on 127.0.0.1."""
    app = create_app(config)
    with app.app_context():
        db.create_all()
        seed_products()
    if port is None:
        port = int(os.environ.get("PORT", "5000"))
    app.run(host="127.0.0.1", port=port, debug=False, use_reloader=False)


if __name__ == "__main__":
    main()
