"""The Stripe fake's endpoints, one module per resource (mirroring `..models`).

Each module declares its endpoints with `mockkit.stripe.routing.endpoint`; importing this
package imports them all, which fills `mockkit.stripe.routing.ROUTES`. An endpoint lives in
the module of the resource its path starts with (`/v1/customers/{id}/payment_methods` is a
customer route).
"""

from __future__ import annotations

import importlib
import pkgutil

from mockkit.stripe.routing import ROUTES

__all__ = ["ROUTES"]

for _module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    importlib.import_module(f"{__name__}.{_module}")
