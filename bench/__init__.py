"""The benchmark harness: `python -m bench` (not part of the test suite)."""
