"""Customer portal sessions: a short-lived link where a customer manages their billing.

A session names its customer, its configuration (the default one unless given) and, with
`flow_data`, a deep link into one task (update the card, cancel or switch one subscription).
Its `url` is `https://billing.stripe.com/p/session/test_...` in-process, the served fake's
`/p/session/test_...` when created through a served fake; what the page does is in
`mockkit.stripe.portal`.

Lifetime (the fake's rule, Stripe documents only that sessions are short-lived): the link
must be first opened within 5 minutes of its creation, and then works for an hour after
that first visit, on the fake's clock.
"""

from __future__ import annotations

from typing import Any

from mockkit.stripe.errors import StripeError, invalid_request, not_emulated, param_error
from mockkit.stripe.models.billing_portal_configurations import BillingPortalConfigurations
from mockkit.stripe.models.customers import Customers
from mockkit.stripe.models.payment_methods import PaymentMethods
from mockkit.stripe.models.setup_intents import SetupIntents
from mockkit.stripe.models.subscriptions import Subscriptions
from mockkit.stripe.objects import build
from mockkit.stripe.resource import Resource
from mockkit.stripe.state import Model, Obj, Params, StripeState

__all__ = ["FIRST_VISIT_WITHIN", "FLOWS", "OPEN_FOR", "BillingPortalSessions"]

#: Seconds after creation within which the link must be first opened.
FIRST_VISIT_WITHIN = 300
#: Seconds a session works after its first visit.
OPEN_FOR = 3600

#: The flow types the fake's portal page carries out, and the feature each needs.
FLOWS = {
    "payment_method_update": "payment_method_update",
    "subscription_cancel": "subscription_cancel",
    "subscription_update": "subscription_update",
    "subscription_update_confirm": "subscription_update",
}
#: Subscription statuses a portal can act on (an ended or unpaid-first-invoice one is not).
LIVE = ("active", "trialing", "past_due", "unpaid")


class BillingPortalSessions(Model):
    """The account's portal sessions, and which of them were opened when."""

    resource = Resource(
        "billing_portal.session",
        "bps_",
        expandable={"configuration": "billing_portal.configuration"},
        events=("billing_portal.session.created",),
    )

    def __init__(self, state: StripeState) -> None:
        super().__init__(state)
        #: The secret of each session's link -> the session id.
        self.by_secret: dict[str, str] = {}
        #: When each session was first opened.
        self.first_visit: dict[str, int] = {}
        #: Sessions whose flow was carried out (their deep link is used up).
        self.completed: set[str] = set()

    def create(self, p: Params) -> Obj:
        """POST /v1/billing_portal/sessions."""
        s = self.state
        for name, what in (
            ("customer_account", "customer accounts (Accounts v2)"),
            ("on_behalf_of", "Connect (on_behalf_of)"),
            ("after_expiration", "recovering expired portal sessions (after_expiration)"),
        ):
            if p.get(name):
                raise not_emulated(what, name)
        if not p.get("customer"):
            raise param_error("Missing required param: customer.", "customer", "parameter_missing")
        customer = s.ref("customer", p["customer"], "customer")
        configs = BillingPortalConfigurations.of(s)
        config = configs.usable(p["configuration"]) if p.get("configuration") else configs.default()
        flow = self._flow(p.get("flow_data"), customer, config)
        secret = "test_" + s.new_id("", 40)
        ctx = s.context
        base = ctx.base_url if ctx.served and ctx.base_url else "https://billing.stripe.com"
        session = build(
            "billing_portal.session",
            {
                "id": s.new_id("billing_portal.session"),
                "after_expiration": None,
                "configuration": config["id"],
                "created": s.now(),
                "customer": customer["id"],
                "customer_account": None,
                "flow": flow,
                "locale": p.get("locale"),
                "on_behalf_of": None,
                "return_url": p.get("return_url") or config["default_return_url"],
                "url": f"{base}/p/session/{secret}",
            },
        )
        self.store.add(session)
        self.by_secret[secret] = session["id"]
        s.emit("billing_portal.session.created", session)
        return session

    def _flow(
        self, data: dict[str, Any] | None, customer: Obj, config: Obj
    ) -> dict[str, Any] | None:
        """The session's `flow`, from a checked `flow_data` (None without one)."""
        if not data:
            return None
        kind = data.get("type")
        if kind is None:
            raise param_error(
                "Missing required param: flow_data[type].", "flow_data[type]", "parameter_missing"
            )
        if kind not in FLOWS:
            raise not_emulated(f"the {kind} portal flow", "flow_data[type]")
        for other in ("subscription_cancel", "subscription_update", "subscription_update_confirm"):
            if data.get(other) and other != kind:
                raise param_error(
                    f"flow_data[{other}] can only be given when flow_data[type] is {other}.",
                    f"flow_data[{other}]",
                )
        feature = FLOWS[kind]
        if not config["features"][feature]["enabled"]:
            raise invalid_request(
                f"The {kind} flow needs the {feature} feature, which the configuration "
                f"{config['id']} does not enable.",
                param="flow_data[type]",
            )
        flow: dict[str, Any] = {
            "after_completion": self._after_completion(data.get("after_completion") or {}),
            "subscription_cancel": None,
            "subscription_update": None,
            "subscription_update_confirm": None,
            "type": kind,
        }
        if kind == "payment_method_update":
            return flow
        given = data.get(kind)
        name = f"flow_data[{kind}]"
        if not given:
            raise param_error(f"Missing required param: {name}.", name, "parameter_missing")
        sub = self.flow_subscription(given["subscription"], customer, f"{name}[subscription]")
        if kind == "subscription_cancel":
            if given.get("retention"):
                raise not_emulated("retention offers in the cancel flow", f"{name}[retention]")
            if sub["cancel_at_period_end"] or sub["cancel_at"]:
                raise invalid_request(
                    f"The subscription {sub['id']} is already set to cancel.",
                    param=f"{name}[subscription]",
                )
            flow[kind] = {"retention": None, "subscription": sub["id"]}
        elif kind == "subscription_update":
            self.single_item(sub, f"{name}[subscription]")
            flow[kind] = {"subscription": sub["id"]}
        else:
            flow[kind] = self._confirm(given, sub, config, name)
        return flow

    @staticmethod
    def _after_completion(given: dict[str, Any]) -> dict[str, Any]:
        kind = given.get("type") or "portal_homepage"
        name = "flow_data[after_completion]"
        for other in ("redirect", "hosted_confirmation"):
            if given.get(other) and other != kind:
                raise param_error(
                    f"{name}[{other}] can only be given when {name}[type] is {other}.",
                    f"{name}[{other}]",
                )
        redirect = None
        if kind == "redirect":
            url = (given.get("redirect") or {}).get("return_url")
            if not url:
                raise param_error(
                    f"Missing required param: {name}[redirect][return_url].",
                    f"{name}[redirect][return_url]",
                    "parameter_missing",
                )
            redirect = {"return_url": url}
        confirmation = None
        if kind == "hosted_confirmation":
            message = (given.get("hosted_confirmation") or {}).get("custom_message")
            confirmation = {"custom_message": message}
        return {"hosted_confirmation": confirmation, "redirect": redirect, "type": kind}

    def flow_subscription(self, sid: str, customer: Obj, param: str) -> Obj:
        """The customer's live subscription `sid` (a 400 naming `param` otherwise)."""
        sub = self.state.ref("subscription", sid, param)
        if sub["customer"] != customer["id"]:
            raise invalid_request(
                f"The subscription {sid} does not belong to the customer {customer['id']}.",
                param=param,
            )
        if sub["status"] not in LIVE:
            raise invalid_request(
                f"The subscription {sid} is {sub['status']}; the portal can only manage "
                "active, trialing, past_due or unpaid subscriptions.",
                param=param,
            )
        return sub

    @staticmethod
    def single_item(sub: Obj, param: str) -> Obj:
        """The one item of `sub` (subscriptions with several items cannot be updated)."""
        items = sub["items"]["data"]
        if len(items) != 1:
            raise invalid_request(
                f"The subscription {sub['id']} has {len(items)} items; the portal can only "
                "update subscriptions with a single item.",
                param=param,
            )
        item: Obj = items[0]
        return item

    @staticmethod
    def offered_price(config: Obj, price: str, param: str) -> None:
        """Refuse `price` unless the configuration's subscription update offers it."""
        products = config["features"]["subscription_update"]["products"] or []
        if not any(price in entry["prices"] for entry in products):
            raise invalid_request(
                f"The price {price} is not one of the prices the configuration "
                f"{config['id']} offers (features[subscription_update][products]).",
                param=param,
            )

    def _confirm(self, given: dict[str, Any], sub: Obj, config: Obj, name: str) -> dict[str, Any]:
        if given.get("discounts"):
            raise not_emulated("discounts in the update confirmation flow", f"{name}[discounts]")
        items = given.get("items") or []
        if len(items) != 1:
            raise param_error(
                f"{name}[items] must hold exactly one item.", f"{name}[items]", "parameter_missing"
            )
        entry, param = items[0], f"{name}[items][0]"
        item = self.single_item(sub, f"{name}[subscription]")
        if entry["id"] != item["id"]:
            raise invalid_request(
                f"The subscription item {entry['id']} is not the item of {sub['id']}.",
                param=f"{param}[id]",
            )
        if entry.get("quantity") is not None and entry["quantity"] != item["quantity"]:
            raise not_emulated("quantity changes in the portal", f"{param}[quantity]")
        price = entry.get("price")
        if price is None:
            raise param_error(
                f"Missing required param: {param}[price].", f"{param}[price]", "parameter_missing"
            )
        self.state.ref("price", price, f"{param}[price]")
        self.offered_price(config, price, f"{param}[price]")
        return {
            "discounts": [],
            "items": [{"id": item["id"], "price": price, "quantity": item["quantity"]}],
            "subscription": sub["id"],
        }

    def subscriptions_of(self, session: Obj) -> list[Obj]:
        """The session customer's subscriptions the portal shows, oldest first."""
        return Subscriptions.of(self.state).of_customer(session["customer"])

    # ---- what the customer does on the portal page ---------------------------------------------

    def opened(self, secret: str) -> Obj:
        """The session of the link `secret`, visited now: a 404 if unknown, a 410 if expired."""
        sid = self.by_secret.get(secret)
        if sid is None or sid not in self.store.by_id:
            raise invalid_request("No such portal session.", status=404)
        return self.visit(self.store.by_id[sid])

    def visit(self, session: Obj) -> Obj:
        """Record a visit of `session` (the first starts its hour), or a 410 if it expired."""
        now = self.state.now()
        first = self.first_visit.get(session["id"])
        if first is None and now > session["created"] + FIRST_VISIT_WITHIN:
            raise invalid_request(
                "This portal session has expired: its link was not opened within 5 minutes. "
                "Create a new session.",
                status=410,
            )
        if first is not None and now > first + OPEN_FOR:
            raise invalid_request(
                "This portal session has expired. Create a new session.", status=410
            )
        if first is None:
            self.first_visit[session["id"]] = now
        return session

    def configuration_of(self, session: Obj) -> Obj:
        """The configuration `session` was created with."""
        return BillingPortalConfigurations.of(self.state).get(session["configuration"])

    def pending_flow(self, session: Obj) -> dict[str, Any] | None:
        """The session's flow while it is not carried out yet (None: the whole portal)."""
        flow: dict[str, Any] | None = session["flow"]
        return None if flow is None or session["id"] in self.completed else flow

    def _feature(self, session: Obj, feature: str) -> dict[str, Any]:
        settings: dict[str, Any] = self.configuration_of(session)["features"][feature]
        if not settings["enabled"]:
            raise invalid_request(
                f"This portal does not offer {feature.replace('_', ' ')}.", status=403
            )
        return settings

    def _allowed(self, session: Obj, kinds: tuple[str, ...], sid: str | None = None) -> None:
        """Refuse an action outside the session's deep link, while the flow is pending."""
        flow = self.pending_flow(session)
        if flow is None:
            if session["flow"] is not None and session["flow"]["after_completion"]["type"] != (
                "portal_homepage"
            ):
                raise invalid_request(
                    "This portal session's flow is complete; create a new session.", status=409
                )
            return
        if flow["type"] not in kinds:
            raise invalid_request(
                f"This portal session is for {flow['type'].replace('_', ' ')} only.", status=409
            )
        target = (flow.get(flow["type"]) or {}).get("subscription")
        if sid is not None and target is not None and target != sid:
            raise invalid_request(
                f"This portal session is for the subscription {target} only.", status=409
            )

    def own_subscription(self, session: Obj, sid: str) -> Obj:
        """A subscription of the session's customer the portal can act on (404 / 409 else)."""
        sub = self.state.stores["subscription"].by_id.get(sid)
        if sub is None or sub["customer"] != session["customer"]:
            raise invalid_request(f"No such subscription for this customer: {sid}", status=404)
        if sub["status"] not in LIVE:
            raise invalid_request(f"This subscription is {sub['status']}.", status=409)
        return sub

    def _done(self, session: Obj) -> None:
        if session["flow"] is not None:
            self.completed.add(session["id"])

    def cancel(self, session: Obj, sid: str, reason: str | None = None) -> Obj:
        """Cancel a subscription as the configuration says: at the period end or now.

        The same code path as `POST /v1/subscriptions/{id}` with `cancel_at_period_end=true`
        (mode `at_period_end`) or `DELETE /v1/subscriptions/{id}` (mode `immediately`; with
        `create_prorations`, `prorate` and `invoice_now`, so the unused time is credited to
        the customer's balance at once).
        """
        settings = self._feature(session, "subscription_cancel")
        self._allowed(session, ("subscription_cancel",), sid)
        sub = self.own_subscription(session, sid)
        if sub["cancel_at_period_end"] or sub["cancel_at"]:
            raise invalid_request("This subscription is already set to cancel.", status=409)
        reasons = settings["cancellation_reason"]
        details: dict[str, Any] = {}
        if reason:
            if not reasons["enabled"] or reason not in reasons["options"]:
                raise invalid_request(f"Unknown cancellation reason: {reason}", status=400)
            details = {"feedback": reason}
        subs = Subscriptions.of(self.state)
        if settings["mode"] == "immediately":
            prorate = settings["proration_behavior"] == "create_prorations"
            params: dict[str, Any] = {"prorate": prorate, "invoice_now": prorate}
            if details:
                params["cancellation_details"] = details
            sub = subs.cancel(sid, params)
        else:
            params = {"cancel_at_period_end": True}
            if details:
                params["cancellation_details"] = details
            sub = subs.modify(sid, params)
        self._done(session)
        return sub

    def switch(self, session: Obj, sid: str, price: str) -> Obj:
        """Move a subscription to another price the configuration offers.

        The same code path as `POST /v1/subscriptions/{id}` with the item's new `price` and the
        configuration's `proration_behavior` (and `trial_end=now` for a trialing subscription
        when `trial_update_behavior` is `end_trial`).
        """
        settings = self._feature(session, "subscription_update")
        if "price" not in settings["default_allowed_updates"]:
            raise invalid_request("This portal does not offer plan changes.", status=403)
        self._allowed(session, ("subscription_update", "subscription_update_confirm"), sid)
        sub = self.own_subscription(session, sid)
        item = self.single_item(sub, "subscription")
        config = self.configuration_of(session)
        if price not in self.state.stores["price"].by_id:
            raise invalid_request(f"No such price: {price}", status=404)
        self.offered_price(config, price, "price")
        flow = self.pending_flow(session)
        if flow is not None and flow["type"] == "subscription_update_confirm":
            wanted = flow["subscription_update_confirm"]["items"][0]["price"]
            if price != wanted:
                raise invalid_request(
                    f"This portal session confirms the change to {wanted} only.", status=409
                )
        if item["price"]["id"] == price:
            raise invalid_request("The subscription is already on this price.", status=409)
        params: dict[str, Any] = {
            "items": [{"id": item["id"], "price": price}],
            "proration_behavior": settings["proration_behavior"],
        }
        if sub["status"] == "trialing" and settings["trial_update_behavior"] == "end_trial":
            params["trial_end"] = "now"
        sub = Subscriptions.of(self.state).modify(sid, params)
        self._done(session)
        return sub

    def update_card(self, session: Obj, card: str) -> tuple[Obj, StripeError | None]:
        """Save a new card as the customer's default: `(customer, decline or None)`.

        As on Stripe's portal, through a SetupIntent (authenticated on the page when the card
        asks for 3D Secure); on success the card becomes the customer's
        `invoice_settings.default_payment_method` and the default payment method of each of
        their live subscriptions that names one. A declined card is recorded as Stripe records
        it (the failed SetupIntent stays) and changes nothing else.
        """
        self._feature(session, "payment_method_update")
        self._allowed(session, ("payment_method_update",))
        s = self.state
        cid = session["customer"]
        pm = PaymentMethods.of(s).lookup(card, "payment_method", 404)
        if pm["customer"] not in (None, cid):
            raise invalid_request(f"No such payment method: {card}", status=404)
        intents = SetupIntents.of(s)
        si = intents.create(
            {"customer": cid, "usage": "off_session", "allowed_payment_method_types": ["card"]}
        )
        try:
            si = intents.confirm(si["id"], {"payment_method": pm["id"]})
            if si["status"] == "requires_action":
                si = intents.authenticate(si["id"])
        except StripeError as declined:
            if not declined.keep_state:
                raise
            return Customers.of(s).get(cid), declined
        if si["status"] != "succeeded":
            error = (si["last_setup_error"] or {}).get("message") or "Your card was declined."
            return Customers.of(s).get(cid), invalid_request(error, status=402)
        customer = Customers.of(s).modify(
            cid, {"invoice_settings": {"default_payment_method": pm["id"]}}
        )
        subs = Subscriptions.of(s)
        for sub in subs.of_customer(cid):
            if sub["status"] in LIVE and sub["default_payment_method"] not in (None, pm["id"]):
                subs.modify(sub["id"], {"default_payment_method": pm["id"]})
        self._done(session)
        return customer, None
