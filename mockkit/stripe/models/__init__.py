"""The state of each Stripe resource, one module per resource (mirrored in `..routes`).

Every module in this package defines one `mockkit.stripe.state.Model` subclass with its
`Resource` declaration; importing the package imports them all, which registers them. A new
resource is a new module here (and its routes beside it in `mockkit.stripe.routes`): nothing
else lists the resources.
"""

from __future__ import annotations

import importlib
import pkgutil

__all__: list[str] = []

for _module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    importlib.import_module(f"{__name__}.{_module}")
