"""Static reference data of the simulated company "Northwind Outfitters".

An outdoor-gear web shop (B2C, plus team orders from companies) at ``https://northwind.example``.
Everything here is plain Python data; the simulation turns it into arrays.
No value may contain a double quote or a backslash (the web writer builds JSON by concatenation).
"""

from __future__ import annotations

SHOP_URL = "https://northwind.example"
SHOP_NAME = "Northwind Outfitters"
CURRENCY = "EUR"

# --- acquisition channels -------------------------------------------------------------------
CHANNELS = [
    "organic_search",
    "paid_search",
    "paid_social",
    "organic_social",
    "email",
    "referral",
    "direct",
    "display",
]
CH = {name: i for i, name in enumerate(CHANNELS)}
# GA4-like mix of first touches, and of later (returning) sessions (email comes from clicks).
ACQ_MIX = [0.30, 0.15, 0.11, 0.09, 0.03, 0.08, 0.22, 0.02]
RETURN_MIX = [0.25, 0.08, 0.04, 0.07, 0.0, 0.04, 0.50, 0.02]
# probability that a person acquired on the channel ever identifies (becomes a lead)
LEAD_PROB = [0.45, 0.52, 0.36, 0.34, 0.62, 0.50, 0.46, 0.30]
HUBSPOT_SOURCE = [
    "ORGANIC_SEARCH",
    "PAID_SEARCH",
    "PAID_SOCIAL",
    "SOCIAL_MEDIA",
    "EMAIL_MARKETING",
    "REFERRALS",
    "DIRECT_TRAFFIC",
    "OTHER_CAMPAIGNS",
]

# --- products ---------------------------------------------------------------------------------
# (category, name, price)
PRODUCTS = [
    ("Footwear", "Trail Runner X", 129.0),
    ("Footwear", "Summit Hiking Boot", 179.0),
    ("Footwear", "Approach Shoe", 139.0),
    ("Footwear", "Camp Sandal", 59.0),
    ("Footwear", "Winter Boot", 199.0),
    ("Footwear", "Waterproof Trail Shoe", 149.0),
    ("Footwear", "Kids Hiker", 69.0),
    ("Footwear", "Ultralight Racer", 159.0),
    ("Jackets", "Rain Shell", 149.0),
    ("Jackets", "Down Jacket", 229.0),
    ("Jackets", "Fleece Midlayer", 89.0),
    ("Jackets", "Softshell Jacket", 139.0),
    ("Jackets", "Insulated Parka", 289.0),
    ("Jackets", "Wind Jacket", 79.0),
    ("Jackets", "3-in-1 Jacket", 259.0),
    ("Jackets", "Hybrid Vest", 69.0),
    ("Backpacks", "Daypack 20L", 79.0),
    ("Backpacks", "Hiking Pack 35L", 139.0),
    ("Backpacks", "Trekking Pack 60L", 219.0),
    ("Backpacks", "Hydration Pack", 69.0),
    ("Backpacks", "City Backpack", 99.0),
    ("Backpacks", "Kids Daypack", 45.0),
    ("Backpacks", "Travel Duffel", 119.0),
    ("Backpacks", "Hip Pack", 35.0),
    ("Camping", "Two-Person Tent", 249.0),
    ("Camping", "Solo Tent", 199.0),
    ("Camping", "Sleeping Bag", 169.0),
    ("Camping", "Sleeping Pad", 89.0),
    ("Camping", "Camp Stove", 59.0),
    ("Camping", "Headlamp", 39.0),
    ("Camping", "Trekking Poles", 79.0),
    ("Camping", "Camp Chair", 49.0),
    ("Accessories", "Merino Beanie", 29.0),
    ("Accessories", "Hiking Socks 3-Pack", 24.0),
    ("Accessories", "Water Bottle", 19.0),
    ("Accessories", "Trail Gloves", 35.0),
    ("Accessories", "Neck Gaiter", 15.0),
    ("Accessories", "Sunglasses", 59.0),
    ("Accessories", "Trucker Cap", 25.0),
    ("Accessories", "First Aid Kit", 29.0),
]
CATEGORIES = ["Footwear", "Jackets", "Backpacks", "Camping", "Accessories"]
CATEGORY_CODES = {
    "Footwear": "FW",
    "Jackets": "JK",
    "Backpacks": "BP",
    "Camping": "CP",
    "Accessories": "AC",
}
PRODUCT_SKUS = [f"NW-{CATEGORY_CODES[c]}-{i + 1:03d}" for i, (c, _, _) in enumerate(PRODUCTS)]
CATEGORY_WEIGHTS = [0.28, 0.24, 0.18, 0.15, 0.15]

BLOG_POSTS = [
    ("how-to-choose-trail-running-shoes", "How to choose trail running shoes"),
    ("layering-guide", "The layering guide for cold days"),
    ("best-hikes-in-the-alps", "The 12 best hikes in the Alps"),
    ("packing-list-weekend-trip", "Packing list for a weekend trip"),
    ("tent-care", "Tent care: make it last ten seasons"),
    ("winter-camping-basics", "Winter camping basics"),
    ("hiking-with-kids", "Hiking with kids"),
    ("waterproof-vs-breathable", "Waterproof vs breathable"),
]
INFO_PAGES = [
    ("/about", "About us"),
    ("/help", "Help centre"),
    ("/help/shipping", "Shipping"),
    ("/help/returns", "Returns"),
    ("/contact", "Contact"),
    ("/stores", "Our stores"),
]

# --- people -------------------------------------------------------------------------------------
FIRST_NAMES = [
    "Anna",
    "Ben",
    "Clara",
    "David",
    "Emma",
    "Felix",
    "Greta",
    "Hannah",
    "Ida",
    "Jonas",
    "Karl",
    "Lena",
    "Lukas",
    "Maria",
    "Max",
    "Mia",
    "Noah",
    "Olivia",
    "Paul",
    "Sophie",
    "Tom",
    "Laura",
    "Leon",
    "Julia",
    "Tim",
    "Sarah",
    "Jan",
    "Lisa",
    "Finn",
    "Nina",
    "Elias",
    "Lea",
    "Moritz",
    "Amelie",
    "Niklas",
    "Johanna",
    "Simon",
    "Marie",
    "Jakob",
    "Charlotte",
    "Oliver",
    "Emily",
    "Henry",
    "Grace",
    "Jack",
    "Chloe",
    "James",
    "Ella",
    "Lucas",
    "Alice",
    "Liam",
    "Ava",
    "Ethan",
    "Zoe",
    "Samuel",
    "Ruby",
    "Daniel",
    "Isla",
    "Adam",
    "Freya",
    "Oscar",
    "Evie",
    "Leo",
    "Millie",
    "Hugo",
    "Rosa",
    "Matteo",
    "Giulia",
    "Luca",
    "Sofia",
    "Marco",
    "Chiara",
    "Pierre",
    "Camille",
    "Louis",
    "Manon",
    "Jules",
    "Lea",
    "Arthur",
    "Ines",
    "Pablo",
    "Lucia",
    "Diego",
    "Elena",
    "Sven",
    "Astrid",
    "Lars",
    "Ingrid",
    "Mikkel",
    "Freja",
    "Piotr",
    "Zofia",
    "Tomas",
    "Eva",
    "Ahmed",
    "Layla",
    "Omar",
    "Yara",
    "Ravi",
    "Priya",
    "Arjun",
    "Anika",
    "Kenji",
    "Yuki",
    "Mei",
    "Wei",
    "Chen",
    "Lin",
]
LAST_NAMES = [
    "Mueller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Schulz",
    "Hoffmann",
    "Koch",
    "Richter",
    "Klein",
    "Wolf",
    "Schroeder",
    "Neumann",
    "Schwarz",
    "Braun",
    "Zimmermann",
    "Hartmann",
    "Krueger",
    "Lange",
    "Werner",
    "Krause",
    "Lehmann",
    "Koehler",
    "Maier",
    "Huber",
    "Kaiser",
    "Fuchs",
    "Peters",
    "Jung",
    "Scholz",
    "Vogel",
    "Berger",
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Robinson",
    "Wright",
    "Thompson",
    "Evans",
    "Walker",
    "White",
    "Roberts",
    "Green",
    "Hall",
    "Wood",
    "Jackson",
    "Clarke",
    "Hughes",
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Rossi",
    "Russo",
    "Ferrari",
    "Esposito",
    "Bianchi",
    "Romano",
    "Colombo",
    "Ricci",
    "Garcia",
    "Fernandez",
    "Lopez",
    "Martinez",
    "Sanchez",
    "Perez",
    "Jansen",
    "DeVries",
    "Bakker",
    "Visser",
    "Smit",
    "Meijer",
    "Hansen",
    "Nielsen",
    "Larsen",
    "Andersen",
    "Nowak",
    "Kowalski",
    "Novak",
    "Horvat",
    "Kovacs",
    "Nagy",
    "Silva",
    "Santos",
    "Ferreira",
    "Costa",
    "Yilmaz",
    "Kaya",
    "Demir",
    "Sahin",
    "Patel",
    "Shah",
    "Kumar",
    "Singh",
    "Tanaka",
    "Sato",
    "Wang",
    "Li",
    "Zhang",
    "Liu",
]
PERSONAL_DOMAINS = [
    "gmail.com",
    "yahoo.com",
    "outlook.com",
    "hotmail.com",
    "icloud.com",
    "gmx.de",
    "web.de",
    "proton.me",
]
PERSONAL_DOMAIN_WEIGHTS = [0.38, 0.07, 0.12, 0.08, 0.10, 0.12, 0.09, 0.04]
TIME_ZONES = [
    "Europe/Berlin",
    "Europe/Vienna",
    "Europe/Zurich",
    "Europe/London",
    "Europe/Paris",
    "Europe/Amsterdam",
    "America/New_York",
]

COMPANY_PREFIXES = [
    "Alpine",
    "Blue",
    "Summit",
    "North",
    "Green",
    "Bright",
    "Silver",
    "Red",
    "Granite",
    "Cedar",
    "River",
    "Lake",
    "Iron",
    "Golden",
    "Swift",
    "Clear",
    "Stone",
    "Oak",
    "Pine",
    "Maple",
    "Harbor",
    "Falcon",
    "Polar",
    "Nova",
    "Vertex",
    "Orbit",
    "Atlas",
    "Delta",
    "Echo",
    "Prime",
]
COMPANY_NOUNS = [
    "Logistics",
    "Consulting",
    "Systems",
    "Analytics",
    "Engineering",
    "Travel",
    "Events",
    "Media",
    "Labs",
    "Networks",
    "Solutions",
    "Health",
    "Foods",
    "Energy",
    "Capital",
    "Robotics",
    "Software",
    "Design",
    "Ventures",
    "Works",
    "Outdoor",
    "Schools",
    "Sports",
    "Clinics",
]
COMPANY_SUFFIXES = ["GmbH", "AG", "Ltd", "Inc", "BV", "SAS", "GmbH & Co KG"]
INDUSTRIES = [
    "Software",
    "Consulting",
    "Logistics",
    "Education",
    "Healthcare",
    "Hospitality",
    "Manufacturing",
    "Retail",
    "Media",
    "Public Sector",
]
COUNTRIES = [
    "Germany",
    "Austria",
    "Switzerland",
    "Netherlands",
    "France",
    "United Kingdom",
    "United States",
]
COUNTRY_WEIGHTS = [0.45, 0.12, 0.1, 0.1, 0.08, 0.1, 0.05]

# --- devices -----------------------------------------------------------------------------------
DEVICE_TYPES = ["desktop", "mobile", "tablet"]
DEVICE_TYPE_WEIGHTS = [0.48, 0.44, 0.08]
USER_AGENTS = {
    "desktop": [
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/126.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.5 Safari/605.1.15",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0",
    ],
    "mobile": [
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/126.0.0.0 Mobile Safari/537.36",
        "Mozilla/5.0 (Linux; Android 13; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/125.0.0.0 Mobile Safari/537.36",
    ],
    "tablet": [
        "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.5 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/126.0.0.0 Safari/537.36",
    ],
}

# --- referrers per channel (None = no referrer) -------------------------------------------------
SEARCH_REFERRERS = [
    "https://www.google.com/",
    "https://www.bing.com/",
    "https://duckduckgo.com/",
    "https://www.ecosia.org/",
]
SEARCH_REFERRER_WEIGHTS = [0.82, 0.08, 0.06, 0.04]
SOCIAL_SITES = [
    ("facebook", "https://www.facebook.com/"),
    ("instagram", "https://l.instagram.com/"),
    ("linkedin", "https://www.linkedin.com/"),
    ("twitter", "https://t.co/"),
    ("pinterest", "https://www.pinterest.com/"),
]
SOCIAL_WEIGHTS = [0.35, 0.35, 0.12, 0.08, 0.10]
PARTNER_SITES = [
    ("trailblog", "https://www.trailblog.example/best-trail-shoes"),
    ("gearreview", "https://gearreview.example/reviews/northwind"),
    ("outdoorforum", "https://www.outdoorforum.example/threads/tent-advice"),
    ("hikingmag", "https://hikingmag.example/gift-guide"),
    ("alpineclub", "https://www.alpineclub.example/partners"),
]
SEARCH_TERMS = {
    "brand": ["northwind", "northwind outfitters", "northwind shop", "northwind jacket"],
    "Footwear": [
        "trail running shoes",
        "hiking boots",
        "waterproof hiking shoes",
        "approach shoes",
    ],
    "Jackets": ["rain jacket", "down jacket", "softshell jacket", "winter parka"],
    "Backpacks": ["hiking backpack", "daypack", "trekking backpack 60l"],
    "Camping": ["2 person tent", "sleeping bag", "camping stove", "ultralight tent"],
    "Accessories": ["merino beanie", "hiking socks", "trail gloves"],
}

# --- support --------------------------------------------------------------------------------------
TICKET_TOPICS = [
    # (subject, type, group, tags, weight, order_related)
    ("Where is my order?", "question", "Orders", ["order", "shipping"], 0.22, True),
    ("Wrong size delivered", "incident", "Orders", ["order", "exchange"], 0.10, True),
    ("Return and refund request", "task", "Returns", ["returns", "refund"], 0.14, True),
    ("Item arrived damaged", "incident", "Returns", ["damaged", "returns"], 0.06, True),
    ("Question about product sizing", "question", "Product", ["product", "sizing"], 0.14, False),
    ("Discount code not working", "problem", "Billing", ["coupon", "checkout"], 0.07, False),
    ("Payment failed at checkout", "problem", "Billing", ["payment", "checkout"], 0.06, False),
    ("Cannot log in to my account", "problem", "Account", ["account", "login"], 0.07, False),
    ("Unsubscribe from newsletter", "task", "Account", ["newsletter"], 0.04, False),
    ("Bulk order for our team", "question", "Sales", ["b2b", "bulk"], 0.05, False),
    ("Warranty claim", "incident", "Returns", ["warranty"], 0.05, False),
]
TICKET_GROUPS = ["Orders", "Returns", "Product", "Billing", "Account", "Sales"]
AGENT_REPLIES = [
    "Thanks for reaching out, I am looking into this for you.",
    "Thank you for your patience. Here is what I found.",
    "I have checked your order and will update you shortly.",
    "Could you please send us a photo of the item?",
    "I have issued the refund, it will show up in 3-5 business days.",
]
INTERNAL_NOTES = [
    "Checked carrier tracking, parcel stuck in hub.",
    "Escalated to warehouse team.",
    "Customer had a similar issue last month.",
    "Refund approved by team lead.",
    "Waiting for stock update from supplier.",
]
CUSTOMER_REPLIES = [
    "Thanks, but the problem is still there.",
    "Here is the photo you asked for.",
    "Any update on this?",
    "Thank you, that worked.",
]
CSAT_BAD_REASONS = [
    "Issue took too long to resolve",
    "Issue is not resolved",
    "Agent knowledge is unsatisfactory",
    "Agent's attitude is unsatisfactory",
    "Some other reason",
]
CSAT_GOOD_COMMENTS = ["Quick and friendly help!", "Great service, thanks.", "Problem solved fast."]
CSAT_BAD_COMMENTS = [
    "Took ages to get an answer.",
    "Still waiting for my refund.",
    "Had to explain everything twice.",
]

NPS_COMMENTS = {
    "promoter": [
        "Great quality gear and fast shipping.",
        "Love the products!",
        "Best outdoor shop I know.",
        "Excellent service.",
    ],
    "passive": ["Good products, a bit pricey.", "Delivery could be faster.", "Okay overall."],
    "detractor": [
        "Support was slow and unhelpful.",
        "Return process is a pain.",
        "Product broke after two weeks.",
        "Too expensive for the quality.",
    ],
}
CES_COMMENTS = [
    "Easy to get help.",
    "Had to contact you several times.",
    "Smooth process.",
    "Took too many steps.",
]

JUNK_IDS = ["0", "null", "anonymous", ""]

EMAIL_SUBJECTS = [
    "New season, new trails",
    "Our picks for your next adventure",
    "Only this week: members save more",
    "The layering guide is here",
    "Gear up for the weekend",
    "Fresh arrivals in footwear",
    "Your summit checklist",
    "Camping season starts now",
]
