"""The outdoor-gear store's site: products, categories, blog posts and page titles.

Product popularity is what buyers pick from; the canonical tent and the bought-together pair of
``truths`` are products here like any other.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from wayfinder.demo import truths
from wayfinder.demo.world import Weighted

SHOP_SITE = "https://ridgeline.example"
SHOP_NAME = "Ridgeline Outdoor"


@dataclass(frozen=True)
class Product:
    slug: str
    sku: str
    name: str
    category: str
    price: float

    @property
    def path(self) -> str:
        return f"/p/{self.slug}"

    def line(self) -> dict:
        """The product as an e-commerce event lists it."""
        return {
            "product_id": self.sku,
            "sku": self.sku,
            "name": self.name,
            "category": self.category,
            "price": self.price,
            "quantity": 1,
        }


PRODUCTS = (
    Product(truths.CANONICAL_TENT, "TNT-TRL2", "Trailhead 2P Tent", "tents", 249.0),
    Product("family-dome-6p-tent", "TNT-FAM6", "Family Dome 6P Tent", "tents", 399.0),
    Product("ultralight-1p-tent", "TNT-UL1", "Ultralight 1P Tent", "tents", 329.0),
    Product(truths.PAIR[0], "TNT-SUM4", "Summit 4-Season Tent", "tents", 549.0),
    Product("cloudrest-sleeping-pad", "SLP-CLD", "Cloudrest Sleeping Pad", "sleeping", 89.0),
    Product("down-mummy-bag", "SLP-DWN", "Down Mummy Bag", "sleeping", 279.0),
    Product("synthetic-3season-bag", "SLP-SYN", "Synthetic 3-Season Bag", "sleeping", 149.0),
    Product(truths.PAIR[1], "SLP-ALP", "Alpine Insulated Pad", "sleeping", 129.0),
    Product("pocket-gas-stove", "CK-STV", "Pocket Gas Stove", "cooking", 59.0),
    Product("titanium-pot-set", "CK-POT", "Titanium Pot Set", "cooking", 79.0),
    Product("camp-kitchen-kit", "CK-KIT", "Camp Kitchen Kit", "cooking", 119.0),
    Product("fuel-canister-450", "CK-FUEL", "Fuel Canister 450 g", "cooking", 9.0),
)
BY_SLUG = {p.slug: p for p in PRODUCTS}
CATEGORIES = ("tents", "sleeping", "cooking")

#: What a buyer came for: the category, then the product within it.
BUY_CATEGORY = Weighted([("tents", 0.52), ("sleeping", 0.26), ("cooking", 0.22)])
BUY_PRODUCT = {
    "tents": Weighted(
        [
            (truths.CANONICAL_TENT, 0.62),
            ("family-dome-6p-tent", 0.16),
            ("ultralight-1p-tent", 0.12),
            (truths.PAIR[0], 0.10),
        ]
    ),
    "sleeping": Weighted(
        [
            ("cloudrest-sleeping-pad", 0.42),
            ("down-mummy-bag", 0.25),
            ("synthetic-3season-bag", 0.25),
            (truths.PAIR[1], 0.08),
        ]
    ),
    "cooking": Weighted(
        [
            ("pocket-gas-stove", 0.40),
            ("titanium-pot-set", 0.25),
            ("camp-kitchen-kit", 0.25),
            ("fuel-canister-450", 0.10),
        ]
    ),
}
#: Small add-ons put in the basket at random (the pair's pad is not one of them).
ADD_ONS = Weighted(
    [
        ("fuel-canister-450", 0.40),
        ("titanium-pot-set", 0.20),
        ("pocket-gas-stove", 0.20),
        ("cloudrest-sleeping-pad", 0.20),
    ]
)
ADD_ON_RATE = 0.25

#: Blog posts people land on from search. The no-effect post is not among them: it is only
#: visited through its own random draw (``truths.NO_EFFECT_PAGES``).
SEARCH_POSTS = (
    "/blog/how-to-choose-a-tent",
    "/blog/winter-camping-checklist",
    "/blog/leave-no-trace",
)
BLOG_POSTS = {
    "/blog/how-to-choose-a-tent": ("How to choose a tent", "Mia Hansen", "2025-09-12", "tents"),
    "/blog/winter-camping-checklist": (
        "The winter camping checklist",
        "Jon Berg",
        "2025-12-03",
        "sleeping",
    ),
    "/blog/leave-no-trace": (
        "Leave no trace: seven principles",
        "Mia Hansen",
        "2026-04-20",
        "ethics",
    ),
    "/blog/campfire-recipes": ("Ten campfire recipes", "Jon Berg", "2026-02-14", "cooking"),
}

_TITLES = {
    "/": f"{SHOP_NAME}: gear for the trail",
    "/cart": "Your cart",
    "/checkout/shipping": "Checkout: shipping",
    "/checkout/payment": "Checkout: payment",
    "/checkout/review": "Checkout: review",
    "/help/delivery": "Delivery and returns",
    "/about": f"About {SHOP_NAME}",
    "/careers": "Careers",
}


def title(path: str) -> str:
    if path in _TITLES:
        return _TITLES[path]
    if path.startswith("/p/"):
        return BY_SLUG[path[3:]].name
    if path.startswith("/c/"):
        return path[3:].capitalize()
    if path in BLOG_POSTS:
        return BLOG_POSTS[path][0]
    return path


def page_name(path: str) -> str:
    if path.startswith("/p/"):
        return "Product"
    if path.startswith("/c/"):
        return "Category"
    if path.startswith("/blog/"):
        return "Blog post"
    if path.startswith("/checkout/"):
        return "Checkout"
    return title(path)


def browse_product(rng: random.Random, category: str | None = None) -> Product:
    """A product someone looks at without buying: popular ones more often."""
    category = category or BUY_CATEGORY.draw(rng)
    return BY_SLUG[BUY_PRODUCT[category].draw(rng)]


def content_rows() -> list[dict]:
    """The store's content table: its blog posts."""
    rows = []
    for path, (name, author, published, topic) in BLOG_POSTS.items():
        rows.append(
            {
                "content_id": "post-" + path.rsplit("/", 1)[1],
                "title": name,
                "type": "blog_post",
                "author": author,
                "url": SHOP_SITE + path,
                "path": path,
                "published_at": published + "T08:00:00Z",
                "topic": topic,
            }
        )
    return rows
