"""Pure billing arithmetic for the Stripe fake: periods, prorations, amounts, due work.

Nothing here knows about stored objects or HTTP: the subscription, invoice and test-clock
resources call these functions with plain numbers and get plain numbers back, so each rule can
be checked on its own.
"""
