"""The Stripe fuzz tests still kept here: their settings, re-exported for their imports.

The reliability tests live beside what they test (`tests/oauth/test_fuzz.py`,
`tests/demo/test_security.py`, ...), marked `fuzz`. This package holds what they share, as
plain modules: `fuzzing.py` (budgets, `Tally`), `strategies.py` (Hypothesis strategies) and
`summary.py` (the `tally` fixture and the hooks that print and check the example counts,
registered for the whole suite by the root conftest).
"""

from __future__ import annotations

from tests.reliability.fuzzing import FUZZ as FUZZ
from tests.reliability.fuzzing import IN_PROCESS_EXAMPLES as IN_PROCESS_EXAMPLES
from tests.reliability.fuzzing import SERVED_EXAMPLES as SERVED_EXAMPLES
from tests.reliability.fuzzing import Tally as Tally
