"""Shared set-up for privacy tests: a customer with planted personal data among ordinary reviews, and a scan of
the whole database for traces of them."""

from __future__ import annotations

from django.apps import apps
from django.db import connection

from tests.factories import BATTERY, LIGHT, SHIPPING

CUSTOMER = "Zelda Quintrell"
EMAIL = "zelda.quintrell@example.org"
PHONE = "+1 415 555 0134"
CARD = "4111 1111 1111 1111"
WORD = "quokka"  # a word only this customer uses (twice, so it can become a theme keyword)
# What must never reach the model or the embedding backend, and what erasure must leave nowhere.
PII = [CUSTOMER, "Zelda", "Quintrell", EMAIL, PHONE, "415 555 0134", CARD]
TRACES = ["zelda", "quintrell", EMAIL, "415 555 0134", CARD, WORD]

CUSTOMER_ROWS = [
    (f"My name is {CUSTOMER}. The {WORD} lamp battery dies after two hours, mail me at {EMAIL}", 1, CUSTOMER),
    (f"The {WORD} lamp battery drains overnight, call me on {PHONE}, card {CARD} was charged twice", 1, CUSTOMER),
]


def corpus_csv() -> bytes:
    """Ordinary reviews (three clear themes) plus the customer's two texts."""
    lines = ["text,rating,date,author"]
    for i, text in enumerate(BATTERY + SHIPPING + LIGHT):
        rating = 1 if text in BATTERY else 2 if text in SHIPPING else 5
        lines.append(f'"{text}",{rating},2026-10-{1 + i % 28:02d},Reviewer {i}')
    for i, (text, rating, author) in enumerate(CUSTOMER_ROWS):
        lines.append(f'"{text}",{rating},2026-10-{20 + i:02d},{author}')
    return ("\n".join(lines) + "\n").encode()


def database_traces(needles: list[str]) -> list[str]:
    """Every row in the database that mentions a needle: through the ORM (so encrypted columns are decrypted)
    and as raw rows of every table (so nothing outside the models is missed)."""
    wanted = [n.lower() for n in needles]
    found = []
    for model in apps.get_models(include_auto_created=True):
        for row in model._base_manager.all().values():
            blob = str(row).lower()
            found += [f"{model._meta.label} #{row.get('id')}: {n}" for n in wanted if n in blob]
    with connection.cursor() as cursor:
        # Permanent tables only: temporary staging tables (moderation's COPY stage) are emptied on commit, which
        # a test's transaction never reaches.
        cursor.execute("SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                       "WHERE c.relkind IN ('r', 'p') AND c.relpersistence = 'p' AND n.nspname = current_schema()")
        for (table,) in cursor.fetchall():
            cursor.execute(f"SELECT t::text FROM {connection.ops.quote_name(table)} t")
            for (raw,) in cursor.fetchall():
                found += [f"table {table}: {n}" for n in wanted if n in raw.lower()]
    return found
