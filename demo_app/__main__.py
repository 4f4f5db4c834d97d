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
from demo_app.cli import OLD_SCHEMA_HELP, missing_columns, seed_products
from demo_app.config import ConfigError
from demo_app.db import db


def main(config: Mapping[str, Any] | None = None, port: int | None = None) -> None:
    """Create the tables if needed, seed the sample products, and serve on 127.0.0.1.

    A bad `PORT` or configuration value, or a database made by an older version of the shop,
    stops with a one-line message saying what to do.
    """
    if port is None:
        raw = os.environ.get("PORT", "5000")
        if not raw.isdigit() or not 0 <= int(raw) <= 65535:
            raise SystemExit(f"PORT must be a port number (0-65535), got {raw!r}.")
        port = int(raw)
    try:
        app = create_app(config)
    except ConfigError as exc:
        raise SystemExit(f"Configuration error: {exc}") from None
    with app.app_context():
        db.create_all()
        missing = missing_columns()
        if missing:
            raise SystemExit(OLD_SCHEMA_HELP.format(columns=", ".join(missing)))
        seed_products()
    app.run(host="127.0.0.1", port=port, debug=False, use_reloader=False)


if __name__ == "__main__":
    from demo_app.offline import has_real_credentials
    from demo_app.offline import main as offline_main

    # No provider credentials in the environment: the shop on mockkit's served fakes.
    if not has_real_credentials():
        raise SystemExit(offline_main())
    main()
