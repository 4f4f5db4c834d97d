"""Discounts have no endpoints of their own.

They are made by the `discounts` parameter of subscriptions, subscription items, invoices and
invoice items (`mockkit.stripe.models.discounts`), and their ids expand wherever they appear.
"""
