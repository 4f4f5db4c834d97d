"""Run the demo shop's development server: `python -m demo_app` (port from `PORT`, default 5000).

Everything the shop talks to comes from configuration (environment variables, see
`demo_app.config`), so the same command serves it against real providers or local fakes.
"""

from __future__ import annotations

import os

from demo_app import create_app
from demo_app.db import db


def main() -> None:
    """Create the tables if needed, seed sample products, and serve on 127.0.0.1."""
    app = create_app()
    with app.app_context():
        db.create_all()
        from demo_app.cli import seed_products

        seed_products()
    port = int(os.environ.get("PORT", "5000"))
    app.run(host="127.0.0.1", port=port, debug=False, use_reloader=False)


if __name__ == "__main__":
    main()
