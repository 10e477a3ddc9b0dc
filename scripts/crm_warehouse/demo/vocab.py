"""Word lists of the demo data. All names are invented; email domains use the
reserved `.example` top-level domain."""

from __future__ import annotations

FIRST_NAMES = (
    "Anna", "Ben", "Carla", "David", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jonas",
    "Kara", "Liam", "Maya", "Noah", "Olga", "Pablo", "Quinn", "Rosa", "Sven", "Tara",
    "Umar", "Vera", "Wei", "Ximena", "Yusuf", "Zoe", "Aiko", "Bruno", "Chloe", "Dmitri",
    "Emma", "Felix", "Giulia", "Hannah", "Ivan", "Julia", "Kenji", "Lea", "Marco", "Nina",
    "Oscar", "Priya", "Rafael", "Sofia", "Tom", "Ulla", "Victor", "Wanda", "Yara", "Zeynep",
    "Amara", "Lars", "Mei", "Sanjay", "Fatima", "Pedro", "Hiroshi", "Ingrid", "Kwame", "Lucia",
)  # fmt: skip
LAST_NAMES = (
    "Smith", "Müller", "Garcia", "Chen", "Kowalski", "Dubois", "Rossi", "Novak", "Silva",
    "Jensen", "Okafor", "Tanaka", "Patel", "Nguyen", "Johansson", "Fischer", "Moreau", "Kim",
    "Schmidt", "Brown", "Wilson", "Lopez", "Martin", "Bauer", "Costa", "Ivanova", "Haddad",
    "O'Brien", "Van Dijk", "Larsen", "Andersson", "Sato", "Singh", "Ali", "Mensah", "Weber",
    "Taylor", "Thomas", "Moore", "Clark", "Lewis", "Walker", "Young", "King", "Wright",
    "Scott", "Green", "Baker", "Adams", "Nelson", "Hill", "Campbell", "Mitchell", "Roberts",
)  # fmt: skip

COMPANY_FIRST = (
    "Blue", "North", "Silver", "Bright", "Green", "Red", "Iron", "Clear", "Swift", "Summit",
    "Harbor", "Cedar", "Granite", "Maple", "Polar", "Sun", "Stone", "River", "Eagle", "Atlas",
    "Nova", "Vertex", "Orbit", "Pioneer", "Crescent", "Falcon", "Lumen", "Quantum", "Delta",
    "Evergreen", "Oak", "Coral", "Apex", "Zenith", "Horizon", "Meridian", "Beacon", "Willow",
)  # fmt: skip
COMPANY_SECOND = (
    "Logistics", "Health", "Systems", "Foods", "Energy", "Bank", "Media", "Labs", "Retail",
    "Robotics", "Analytics", "Motors", "Pharma", "Capital", "Networks", "Textiles", "Foundry",
    "Software", "Insurance", "Travel", "Learning", "Farms", "Security", "Biotech", "Design",
    "Freight", "Telecom", "Consulting", "Hotels", "Materials",
)  # fmt: skip
COMPANY_SUFFIX = ("Inc", "Ltd", "GmbH", "LLC", "SA", "BV", "Group", "Corp", "AG", "Pty Ltd", "")

#: Industry values as typed into the CRM: (spelling, weight).
INDUSTRIES = (
    ("Technology", 12), ("technology", 2), ("Tech", 2), ("Software", 4), ("Healthcare", 7),
    ("Health Care", 2), ("Financial Services", 7), ("Finance", 2), ("Manufacturing", 9),
    ("Retail", 7), ("Education", 4), ("Government", 2), ("Logistics", 5), ("Media", 3),
    ("Telecommunications", 3), ("Telecom", 1), ("Energy", 3), ("Hospitality", 2),
    ("Professional Services", 4), ("Non-profit", 1),
)  # fmt: skip

#: Countries: (spellings, region code 0 NA / 1 EMEA / 2 APAC, currency, weight).
COUNTRIES = (
    (("United States", "USA", "US", "United States of America"), 0, "USD", 42),
    (("Canada", "CA"), 0, "CAD", 7),
    (("United Kingdom", "UK", "GB"), 1, "GBP", 12),
    (("Germany", "DE", "Deutschland"), 1, "EUR", 9),
    (("France", "FR"), 1, "EUR", 6),
    (("Netherlands", "NL", "The Netherlands"), 1, "EUR", 4),
    (("Spain", "ES"), 1, "EUR", 3),
    (("Ireland", "IE"), 1, "EUR", 2),
    (("Sweden", "SE"), 1, "EUR", 2),
    (("Australia", "AU"), 2, "AUD", 6),
    (("Japan", "JP"), 2, "USD", 2),
    (("Singapore", "SG"), 2, "USD", 3),
    (("India", "IN"), 2, "USD", 2),
)
#: Region spellings per region code.
REGIONS = (
    ("North America", "NA", "Americas"),
    ("EMEA", "Europe", "emea"),
    ("APAC", "Asia Pacific"),
)

#: Currencies used by the demo data (all in seeds/exchange_rates.csv).
CURRENCIES = ("USD", "EUR", "GBP", "CAD", "AUD")

TITLES = (
    "CEO", "CFO", "CTO", "VP Sales", "VP Marketing", "Head of Operations", "IT Manager",
    "Procurement Manager", "Sales Director", "Marketing Manager", "Office Manager",
    "Customer Service Lead", "Data Analyst", "Controller", "Project Manager", "Engineer",
)  # fmt: skip

#: Stages: canonical name -> spellings as the CRM writes them (weight).
STAGE_SPELLINGS: dict[str, tuple[tuple[str, int], ...]] = {
    "prospecting": (("Prospecting", 90), ("prospecting", 6), ("Prospect", 4)),
    "qualification": (("Qualification", 85), ("Qualify", 8), ("Engaging", 7)),
    "discovery": (("Discovery", 80), ("Needs Analysis", 20)),
    "proposal": (("Proposal", 70), ("Proposal/Price Quote", 30)),
    "negotiation": (("Negotiation", 75), ("Negotiation/Review", 25)),
    "closed_won": (("Closed Won", 90), ("Won", 6), ("CLOSED WON", 4)),
    "closed_lost": (("Closed Lost", 90), ("Lost", 6), ("closed lost", 4)),
}
#: Names the stages seed does not know, used for UNMAPPED_STAGE_RATE of deals.
UNMAPPED_STAGES: dict[str, str] = {
    "prospecting": "Lead In",
    "qualification": "Sales Qualified",
    "discovery": "Demo Scheduled",
    "proposal": "Contract Out",
    "negotiation": "Verbal Commit",
    "closed_won": "Closed Won (Legacy)",
    "closed_lost": "Closed - No Decision",
}
STAGES = (
    "prospecting",
    "qualification",
    "discovery",
    "proposal",
    "negotiation",
    "closed_won",
    "closed_lost",
)

#: Lead sources as the CRM writes them (all in seeds/lead_sources.csv after
#: trim + lower): (spelling, is a web form source, weight for organic leads).
LEAD_SOURCES = (
    ("Website", True, 14), ("Web Form", True, 10), ("web", True, 2), ("Organic Search", True, 9),
    ("Google", True, 3), ("Paid Search", True, 5), ("Google Ads", True, 5),
    ("Email Newsletter", True, 4), ("Webinar", True, 3), ("Social", True, 2),
    ("LinkedIn", True, 4), ("Facebook", True, 1), ("Facebook Ads", True, 2),
    ("LinkedIn Ads", True, 3), ("Cold Call", False, 6), ("Outbound", False, 4),
    ("Sales Team", False, 2), ("Trade Show", False, 4), ("Event", False, 2),
    ("Referral", False, 4), ("Customer Referral", False, 2), ("Partner", False, 2),
    ("Partner Referral", False, 3), ("Other", False, 2),
)  # fmt: skip
#: Lead sources the seed lacks (UNMAPPED_LEAD_SOURCE_RATE).
UNMAPPED_LEAD_SOURCES = ("podcast", "Podcast", "TikTok", "G2 Crowd", "chatgpt")

#: Web forms: (form_id, landing page).
FORMS = (
    ("FORM-CONTACT", "/contact"),
    ("FORM-DEMO", "/demo"),
    ("FORM-TRIAL", "/trial"),
    ("FORM-WEBINAR", "/webinars/register"),
    ("FORM-EBOOK", "/resources/ebook"),
    ("FORM-NEWSLETTER", "/newsletter"),
)

#: Campaign channels as written (all in seeds/campaign_channels.csv after trim +
#: lower): (spelling, weight, min days, max days, cost USD lognormal mean (0 = free),
#: share of zero-cost campaigns, members per campaign weight, lead sources).
CAMPAIGN_CHANNELS = (
    ("Email", 14, 1, 5, 800, 0.2, 3.0, ("Email Newsletter", "Website")),
    ("Newsletter", 8, 1, 2, 300, 0.4, 3.0, ("Email Newsletter",)),
    ("Paid Search", 8, 30, 90, 18_000, 0.0, 0.6, ("Paid Search", "Google Ads")),
    ("PPC", 4, 30, 90, 15_000, 0.0, 0.6, ("Google Ads", "Paid Search")),
    ("Paid Social", 8, 14, 60, 12_000, 0.0, 0.6, ("LinkedIn Ads", "Facebook Ads")),
    ("Organic Social", 5, 14, 60, 0, 1.0, 0.4, ("LinkedIn", "Social")),
    ("Social", 3, 14, 45, 0, 1.0, 0.4, ("Social", "Facebook")),
    ("Webinar", 12, 1, 1, 2_500, 0.2, 1.2, ("Webinar",)),
    ("Event", 6, 1, 3, 25_000, 0.0, 0.8, ("Event", "Trade Show")),
    ("Trade Show", 5, 2, 4, 40_000, 0.0, 0.8, ("Trade Show",)),
    ("Content", 8, 30, 120, 3_000, 0.5, 0.5, ("Organic Search", "Website")),
    ("SEO", 4, 60, 180, 5_000, 0.5, 0.3, ("Organic Search", "Google")),
    ("Partner", 5, 30, 90, 4_000, 0.5, 0.5, ("Partner Referral", "Partner")),
    ("Direct Mail", 4, 14, 30, 9_000, 0.0, 1.0, ("Other",)),
)  # fmt: skip
CAMPAIGN_THEMES = (
    "Pipeline Analytics", "Customer 360", "Service Excellence", "Spring Launch", "Year-End Push",
    "Renewal Drive", "AI Assistant", "Data Platform", "Partner Summit", "Retail Growth",
    "Healthcare Forum", "Manufacturing Day", "Finance Breakfast", "Product Tour",
)  # fmt: skip

#: Products: families (name, base list price USD per unit and year, cost ratio, is subscription).
PRODUCT_FAMILIES = (
    ("Core CRM", 300.0, 0.14, True),
    ("Sales Analytics", 220.0, 0.18, True),
    ("Marketing Automation", 400.0, 0.20, True),
    ("Service Cloud", 260.0, 0.16, True),
    ("Data Platform", 650.0, 0.25, True),
    ("Professional Services", 1_500.0, 0.62, False),
)
PRODUCT_TIERS = ("Starter", "Team", "Business", "Enterprise", "Unlimited")
TIER_PRICE_FACTOR = (1.0, 1.7, 2.8, 4.5, 7.0)

WIN_REASONS = (
    ("Product fit", 30), ("Price", 15), ("Relationship", 15), ("Features", 15),
    ("Implementation speed", 10), ("Partner recommendation", 8), ("Existing customer", 7),
)  # fmt: skip
LOSS_REASONS = (
    ("Price", 25), ("Lost to competitor", 25), ("No decision", 20), ("Budget", 10),
    ("Timing", 8), ("Missing features", 7), ("Went dark", 5),
)  # fmt: skip

PARTNER_WORDS = (
    "Brightpath", "Cloudwise", "Northbridge", "Keystone", "Blueprint", "Ironclad", "Skyline",
    "Nimbus", "Trident", "Vantage", "Catalyst", "Sterling", "Pinnacle", "Momentum", "Crossroads",
    "Lighthouse", "Everest", "Compass", "Fusion", "Spectrum",
)  # fmt: skip
PARTNER_SUFFIX = ("Solutions", "Consulting", "Partners", "IT", "Digital", "Systems", "Group")

TRAFFIC_SOURCES = (
    ("google / organic", 30), ("(direct)", 20), ("google / cpc", 10), ("bing / organic", 4),
    ("linkedin.com / referral", 6), ("linkedin / paid", 5), ("facebook / paid", 3),
    ("newsletter / email", 7), ("partner-site / referral", 4), ("t.co / referral", 2),
    ("Direct", 5), ("Google", 4),
)  # fmt: skip
LANDING_PAGES = (
    ("/", 30), ("/pricing", 12), ("/product/crm", 10), ("/product/analytics", 6),
    ("/blog/pipeline-metrics", 8), ("/blog/sales-velocity", 6), ("/customers", 5),
    ("/demo", 6), ("/trial", 5), ("/contact", 4), ("/webinars", 4), ("/resources/ebook", 4),
)  # fmt: skip

EMAIL_LISTS = (("newsletter", 70), ("product-updates", 20), ("events", 10))
FREEMAIL_DOMAINS = ("mailbox.example", "inbox.example", "post.example")

#: Case priorities as the service tool writes them, per channel (phone, email,
#: web, chat), per canonical priority critical / high / medium / low.
PRIORITY_SPELLINGS = (
    ("P1", "P2", "P3", "P4"),
    ("1 - Critical", "2 - High", "3 - Moderate", "4 - Low"),
    ("Urgent", "High", "Medium", "Low"),
    ("critical", "high", "medium", "low"),
)
CASE_CHANNELS = ("phone", "email", "web", "chat")
CASE_TYPES = ("question", "problem", "complaint", "contract_question", "cancellation_request")

SALES_CALL_SUBJECTS = ("Intro call", "Follow-up call", "Discovery call", "Pricing call", "Check-in")
SALES_EMAIL_SUBJECTS = ("Intro", "Follow-up", "Proposal", "Re: pricing", "Next steps")
MEETING_SUBJECTS = ("Demo", "Discovery meeting", "Proposal review", "Negotiation", "QBR")
TASK_SUBJECTS = ("Send proposal", "Prepare quote", "Update forecast", "Legal review")
SERVICE_SUBJECTS = ("Inbound call", "Case update", "Re: your request", "Resolution summary")
