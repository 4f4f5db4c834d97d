"""The docs' examples: `setups/` holds what an example is run beside, not tests of this suite."""

collect_ignore = ["setups"]
