"""Command-line tasks: `flask --app demo_app init-db` and `flask --app demo_app seed`."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import inspect, select

from demo_app.db import db
from demo_app.models import Plan, Product

#: The sample catalogue `seed` installs (amounts in cents).
SAMPLE_PRODUCTS = (
    ("sticker-pack", "Sticker pack", "Five vinyl stickers for your laptop.", 500, "usd"),
    ("coffee-mug", "Coffee mug", "A sturdy mug for long test runs.", 1500, "usd"),
    ("hoodie", "Hoodie", "A warm hoodie with the mockkit logo.", 4500, "usd"),
)

#: The membership plan `seed` installs: billed monthly through Stripe Billing.
SAMPLE_PLANS = (
    (
        "monthly",
        "Monthly membership",
        "Free shipping and early access, billed monthly.",
        900,
        "usd",
        "month",
    ),
)


def seed_plans() -> int:
    """Add the sample membership plans that are missing; return how many were added."""
    existing = set(db.session.scalars(select(Plan.slug)))
    added = 0
    for slug, name, description, amount, currency, interval in SAMPLE_PLANS:
        if slug not in existing:
            db.session.add(
                Plan(
                    slug=slug,
                    name=name,
                    description=description,
                    amount=amount,
                    currency=currency,
                    interval=interval,
                )
            )
            added += 1
    db.session.commit()
    return added


def seed_products() -> int:
    """Add the sample products and the membership plan that are missing.

    Returns how many products were added; running it again adds nothing.
    """
    existing = set(db.session.scalars(select(Product.slug)))
    added = 0
    for slug, name, description, amount, currency in SAMPLE_PRODUCTS:
        if slug not in existing:
            db.session.add(
                Product(
                    slug=slug,
                    name=name,
                    description=description,
                    amount=amount,
                    currency=currency,
                )
            )
            added += 1
    db.session.commit()
    seed_plans()
    return added


def missing_columns() -> list[str]:
    """Columns the models have but the existing tables lack (a database made by an older demo).

    `create_all` creates missing tables only; a table from before a new column would fail on
    the first request that reads it, so start-up and `init-db` say so instead.
    """
    inspector = inspect(db.engine)
    missing = []
    for table in db.metadata.sorted_tables:
        if not inspector.has_table(table.name):
            continue
        present = {column["name"] for column in inspector.get_columns(table.name)}
        missing += [f"{table.name}.{c.name}" for c in table.columns if c.name not in present]
    return missing


#: What to do about `missing_columns()`.
OLD_SCHEMA_HELP = (
    "The database was created by an older version of the demo shop (missing {columns}). "
    "Run `flask --app demo_app init-db --drop` to recreate it (this deletes its data), "
    "or set DATABASE_URL to a new file."
)


@click.command("init-db")
@with_appcontext
@click.option("--drop", is_flag=True, help="Drop existing tables first (deletes all data).")
def init_db_command(drop: bool) -> None:
    """Create the database tables (existing data is kept unless --drop)."""
    if drop:
        db.drop_all()
    db.create_all()
    missing = missing_columns()
    if missing:
        raise click.ClickException(OLD_SCHEMA_HELP.format(columns=", ".join(missing)))
    click.echo("Initialized the database.")


@click.command("seed")
@with_appcontext
def seed_command() -> None:
    """Add the sample products and membership plan (running it twice adds nothing twice)."""
    db.create_all()
    plans = seed_plans()
    added = seed_products()
    click.echo(f"Seeded {added} product(s).")
    click.echo(f"Seeded {plans} membership plan(s).")


def init_app(app: Flask) -> None:
    """Register the commands on `app`."""
    app.cli.add_command(init_db_command)
    app.cli.add_command(seed_command)
