#!/usr/bin/python3
"""Writes data/order-documents.json: a fixed mix of valid and invalid orders for the benchmark.

Deterministic (seeded), so the committed file can be regenerated identically. Invalid documents
break one rule each, chosen among rules that both validators check (python-jsonschema's draft-4
format checker does not assert date-time, so dates are always valid).
"""
import json
import random
import uuid
from pathlib import Path

rng = random.Random(20240611)
COUNTRIES = ["FR", "DE", "GB", "US", "CH", "JP", "NL", "ES"]
WORDS = ["blue", "red", "large", "small", "cotton", "steel", "gift", "eco", "premium", "basic"]


def ident():
    return str(uuid.UUID(int=rng.getrandbits(128)))


def address():
    result = {
        "street": f"{rng.randint(1, 300)} {rng.choice(['Rue', 'Main', 'High', 'Elm'])} Street",
        "city": rng.choice(["Lyon", "Berlin", "London", "Boston", "Zurich", "Osaka"]),
        "postalCode": rng.choice(["69001", "10115", "SW1A 1AA", "02110", "8001", "530-0001"]),
        "country": rng.choice(COUNTRIES),
    }
    if rng.random() < 0.3:
        result["region"] = rng.choice([None, "Rhone", "MA"])
    return result


def line():
    result = {
        "sku": f"{rng.choice(['ABC', 'XYZ', 'KLM', 'QRS'])}-{rng.randint(1000, 999999)}",
        "quantity": rng.randint(1, 20),
        "unitPriceMinor": rng.randint(50, 50000),
    }
    if rng.random() < 0.6:
        result["description"] = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 8)))
    if rng.random() < 0.3:
        result["discountPercent"] = rng.randint(0, 100) / 2
    if rng.random() < 0.5:
        result["attributes"] = {rng.choice(["color", "size", "material", "weightKg", "fragile"]): rng.choice(["red", 12, True, 0.5])
                                for _ in range(rng.randint(1, 4))}
    return result


def order():
    lines = [line() for _ in range(rng.randint(1, 12))]
    result = {
        "orderId": ident(),
        "createdAt": f"2024-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}T{rng.randint(10, 23)}:{rng.randint(10, 59)}:{rng.randint(10, 59)}Z",
        "status": rng.choice(["pending", "paid", "shipped", "delivered", "cancelled"]),
        "currency": rng.choice(["EUR", "USD", "GBP", "CHF"]),
        "customer": {
            "id": ident(),
            "name": rng.choice(["Ada Lovelace", "Alan Turing", "Grace Hopper", "Edsger Dijkstra"]),
            "email": rng.choice(["ada@example.com", "alan.turing@example.org", "grace@navy.example", "ed@tue.example.nl"]),
            "billingAddress": address(),
        },
        "lines": lines,
        "payment": rng.choice([
            {"method": "card", "last4": f"{rng.randint(0, 9999):04d}", "network": rng.choice(["visa", "mastercard", "amex"])},
            {"method": "transfer", "iban": "FR7630006000011234567890189"},
        ]),
        "totalMinor": sum(l["unitPriceMinor"] * l["quantity"] for l in lines),
    }
    if rng.random() < 0.5:
        result["customer"]["phone"] = f"+33{rng.randint(100000000, 999999999)}"
    if rng.random() < 0.4:
        result["customer"]["loyaltyTier"] = rng.choice(["none", "silver", "gold", "platinum"])
    if rng.random() < 0.5:
        result["shippingAddress"] = address()
        result["giftWrap"] = rng.random() < 0.5
    if rng.random() < 0.5:
        result["tags"] = rng.sample(WORDS, rng.randint(1, 5))
    if rng.random() < 0.3:
        result["notes"] = rng.choice([None, "Leave at the door", "Call before delivery"])
    return result


def break_rule(doc):
    """Makes one rule fail; returns a short label of the rule."""
    choice = rng.randrange(12)
    if choice == 0:
        del doc["customer"]["email"]
        return "required"
    if choice == 1:
        doc["lines"][0]["quantity"] = 0
        return "minimum"
    if choice == 2:
        doc["lines"][-1]["sku"] = "abc-12"
        return "pattern"
    if choice == 3:
        doc["customer"]["billingAddress"]["country"] = "France"
        return "pattern"
    if choice == 4:
        doc["status"] = "lost"
        return "enum"
    if choice == 5:
        doc["lines"][0]["discountPercent"] = 12.3
        return "multipleOf"
    if choice == 6:
        doc["payment"] = {"method": "card", "last4": "12"}
        return "oneOf"
    if choice == 7:
        doc["couponCode"] = "SPRING"
        return "additionalProperties"
    if choice == 8:
        doc["tags"] = ["eco", "gift", "eco"]
        return "uniqueItems"
    if choice == 9:
        doc["lines"][0]["quantity"] = 2.5
        return "type"
    if choice == 10:
        doc["customer"]["email"] = "ada.example.com"
        return "format"
    doc["giftWrap"] = True
    doc.pop("shippingAddress", None)
    return "dependencies"


documents = []
for index in range(60):
    doc = order()
    if index % 3 == 2:
        break_rule(doc)
    documents.append(doc)

Path(__file__).with_name("data").joinpath("order-documents.json").write_text(json.dumps(documents, indent=1) + "\n")
print(f"wrote {len(documents)} documents")
