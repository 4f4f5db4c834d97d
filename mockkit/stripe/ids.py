"""Stripe-style object ids: the declared prefix of a kind plus a random part.

Prefixes and lengths come from each resource's declaration (`mockkit.stripe.resource`).
"""

from __future__ import annotations

import random
from binascii import b2a_base64

from mockkit.stripe.resource import resource_of

__all__ = ["new_id"]

_TO_ALNUM = bytes.maketrans(b"+/=", b"Xz7")
_rng = random.Random()


def new_id(kind_or_prefix: str, length: int | None = None, rng: random.Random | None = None) -> str:
    """A fresh Stripe-style id: `new_id("payment_intent")` -> `pi_3Q...` (24 random characters).

    Accepts a declared resource kind (`"customer"`) or a raw prefix ending in `_` (`"txn_"`,
    for objects the fake does not store) or `""` (a bare random string).
    """
    resource = resource_of(kind_or_prefix)
    if resource is not None:
        prefix, n = resource.prefix, length or resource.id_length
    elif kind_or_prefix == "" or kind_or_prefix.endswith("_"):
        prefix, n = kind_or_prefix, length or 24
    else:
        raise KeyError(
            f"no Stripe resource declares the kind {kind_or_prefix!r}; pass a declared kind "
            "or a raw prefix ending in '_'"
        )
    r = rng or _rng
    # Random bytes in base64 with "+" and "/" mapped to letters: base62-looking ids at a
    # fraction of the cost of choosing characters one by one (ids are made on every create).
    # `b2a_base64` and `getrandbits` are what `b64encode` and `randbytes` call (the same
    # bytes, so the same ids for a seed), without their Python frames.
    size = n * 3 // 4 + 3
    random_bytes = r.getrandbits(size * 8).to_bytes(size, "little")
    raw = b2a_base64(random_bytes, newline=False).translate(_TO_ALNUM)
    return prefix + raw[:n].decode("ascii")
