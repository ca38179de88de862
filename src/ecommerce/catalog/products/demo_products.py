"""The demo catalog: fixed ids, so that tests and walkthroughs can name products.

`p-001` to `p-005` carry 1000 each for end-to-end runs; none starts at 0.
(id, name, description, category, price in cents, stock)
"""

from __future__ import annotations

DemoProduct = tuple[str, str, str, str, int, int]

DEMO_PRODUCTS: tuple[DemoProduct, ...] = (
    ("p-001", "Espresso Beans 1 kg", "Dark roast, whole beans.", "grocery", 2499, 1000),
    ("p-002", "Green Tea Sampler", "Twelve loose-leaf green teas.", "grocery", 1899, 1000),
    ("p-003", "Wireless Earbuds", "Bluetooth 5.3, 24 h with case.", "electronics", 7999, 1000),
    ("p-004", "Cotton T-Shirt", "Heavyweight organic cotton, navy.", "apparel", 1999, 1000),
    ("p-005", "Paperback: The Pragmatic Way", "A field guide to shipping.", "books", 3450, 1000),
    ("p-006", "USB-C Charger 65 W", "GaN charger with two ports.", "electronics", 3999, 250),
    ("p-007", "Mechanical Keyboard", "Tenkeyless, hot-swap switches.", "electronics", 12900, 80),
    ("p-008", "Noise-Cancelling Headphones", "Over-ear, 30 h battery.", "electronics", 24900, 40),
    ("p-009", "4K Webcam", "Autofocus, dual microphones.", "electronics", 8999, 60),
    ("p-010", "Portable SSD 1 TB", "USB 3.2, 1050 MB/s.", "electronics", 10999, 120),
    ("p-011", "Hardcover: Distributed Systems", "Consensus, replication, time.", "books", 5900, 75),
    ("p-012", "Cookbook: Weeknight Meals", "120 recipes under 30 minutes.", "books", 2800, 90),
    ("p-013", "Notebook A5, Dotted", "Lay-flat binding, 192 pages.", "books", 1450, 400),
    ("p-014", "Hooded Sweatshirt", "Brushed fleece, charcoal.", "apparel", 4900, 150),
    ("p-015", "Running Socks, 3 Pairs", "Cushioned, moisture-wicking.", "apparel", 1599, 300),
    ("p-016", "Rain Jacket", "Waterproof, packable, olive.", "apparel", 8900, 45),
    ("p-017", "Wool Beanie", "Merino, one size.", "apparel", 2499, 200),
    ("p-018", "Dark Chocolate Bar", "72 % cacao, 100 g.", "grocery", 450, 800),
    ("p-019", "Olive Oil 750 ml", "Extra virgin, cold pressed.", "grocery", 1650, 220),
    ("p-020", "Maple Syrup 500 ml", "Grade A amber.", "grocery", 1399, 180),
    ("p-021", "Pour-Over Coffee Maker", "Glass carafe, 6 cups.", "home", 3900, 70),
    ("p-022", "Chef's Knife 20 cm", "Stainless steel, full tang.", "home", 6900, 55),
    ("p-023", "Cast Iron Skillet", "Pre-seasoned, 26 cm.", "home", 4500, 65),
    ("p-024", "Desk Lamp", "LED, dimmable, warm to cool.", "home", 5400, 5),
)
