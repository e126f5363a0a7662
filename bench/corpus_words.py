"""The words bench/corpus.py writes lessons with: projects, people, topic vocabularies.

Every list is ranked, most frequent first: the generator draws from it with Zipf weights, so a
few words are everywhere and most are rare, as in real lessons logs.
"""

from __future__ import annotations

# Word tables, packed several to a line: one word a line would make them ten times as long.
# fmt: off
#: (key, name, portfolio): the projects lessons belong to
PROJECTS = [
    ("ATLAS", "Atlas ERP Upgrade", "Finance"), ("HARBOUR", "Harbour Warehouse Automation", "Operations"),
    ("MERIDIAN", "Meridian CRM Rollout", "Sales"), ("BEACON", "Beacon Office Relocation", "Facilities"),
    ("CEDAR", "Cedar Payroll Replacement", "People"), ("ORBIT", "Orbit Data Platform", "Technology"),
    ("LANTERN", "Lantern Customer Portal", "Sales"), ("KESTREL", "Kestrel Fleet Telematics", "Operations"),
    ("MOSAIC", "Mosaic Identity and Access", "Technology"), ("TIDEWAY", "Tideway Billing Migration", "Finance"),
    ("SUMMIT", "Summit Shared Services Centre", "Finance"), ("QUARRY", "Quarry Plant Safety Upgrade", "Operations"),
    ("ASPEN", "Aspen Learning Platform", "People"), ("PELICAN", "Pelican Contact Centre", "Sales"),
    ("GRANITE", "Granite Data Centre Exit", "Technology"), ("WILLOW", "Willow Procurement Hub", "Finance"),
    ("FALCON", "Falcon Mobile Field Service", "Operations"), ("JUNIPER", "Juniper Records Retention", "Legal"),
    ("COMPASS", "Compass Planning Tool", "Finance"), ("RIVET", "Rivet Factory MES", "Operations"),
]

PEOPLE = [
    "Priya Raman", "Tom Okafor", "Sarah Lindqvist", "Marco Bianchi", "Aisha Khan",
    "Daniel Novak", "Emma Clarke", "Jonas Weber", "Fatima Haddad", "Liam O'Brien",
    "Chen Wei", "Zoë Müller", "Łukasz Nowak", "Inès Moreau", "Ravi Patel", "Hannah Fischer",
    "Kwame Mensah", "Sofia García", "Oliver Smith", "Yuki Tanaka", "Nadia Petrova",
    "Ben Adeyemi", "Clara Rossi", "Mateus Silva",
]

#: kb's phases with the milestone people name in each
MILESTONES = {
    "initiation": ["project charter approval", "business case sign-off"],
    "planning": ["baseline plan approval", "stage gate 1"],
    "procurement": ["contract award", "supplier selection"],
    "design": ["design authority review", "stage gate 2"],
    "build": ["build complete", "system test entry"],
    "testing": ["UAT exit", "dress rehearsal"],
    "deployment": ["go-live", "cutover weekend"],
    "transition": ["handover to operations", "end of hypercare"],
    "closure": ["closure report", "lessons review"],
}

ROLES = [
    "project manager", "sponsor", "supplier", "business analyst", "test lead",
    "solution architect", "change manager", "finance controller", "PMO analyst",
    "site manager", "service owner", "data owner", "procurement lead", "key users",
]

#: kb topic -> (nouns that happen in that area, its usual tags, the category another tool uses)
TOPICS = {
    "schedule": (["milestone", "critical path", "baseline plan", "lead time", "dependency",
                  "cutover date", "float", "release window"],
                 ["schedule", "critical-path", "milestone", "planning"], "Schedule"),
    "cost": (["budget", "forecast", "contingency", "day rate", "change request", "invoice",
              "business case", "capital spend"],
             ["budget", "cost", "forecast", "overrun"], "Budget & Cost"),
    "procurement": (["supplier", "contract", "statement of work", "tender", "purchase order",
                     "vendor", "licence", "framework agreement"],
                    ["vendor", "contract", "supplier", "tender"], "Vendor Management"),
    "quality": (["defect", "test environment", "regression test", "test script",
                 "acceptance criteria", "test data", "severity rating"],
                ["testing", "uat", "defects", "regression"], "Testing & Quality"),
    "technical": (["interface", "integration", "data migration", "firewall rule", "batch job",
                   "reconciliation", "master data", "server"],
                  ["interface", "integration", "data-migration", "cutover"], "Technical"),
    "risk": (["risk register", "mitigation", "early warning", "assumption", "issue log",
              "single point of failure"],
             ["risk", "raid", "mitigation", "contingency"], "Risk Management"),
    "stakeholders": (["sponsor", "steering committee", "business owner", "works council",
                      "sign-off", "expectations"],
                     ["stakeholder", "sponsor", "engagement"], "Stakeholder Management"),
    "resources": (["key users", "contractor", "handover", "backfill", "skills gap",
                   "subject matter expert", "overtime"],
                  ["resourcing", "staffing", "skills", "capacity"], "Resourcing"),
    "communications": (["status report", "briefing", "newsletter", "town hall",
                        "communication plan", "floor walkers"],
                       ["communication", "briefing", "reporting"], "Communication"),
    "governance": (["stage gate", "decision log", "terms of reference", "audit finding",
                    "tolerance", "exception report", "RACI"],
                   ["governance", "pmo", "decision", "audit"], "Governance"),
    "scope": (["requirements", "user story", "scope creep", "gap analysis", "backlog",
               "workaround", "out of scope items"],
              ["requirements", "scope", "backlog"], "Requirements"),
    "benefits": (["benefits", "adoption", "savings", "benefit owner", "baseline measure"],
                 ["benefits", "adoption", "kpi"], "Benefits"),
}

#: topic nouns that are people or bodies: "the supplier delivered the {noun}" needs a thing
PEOPLE_NOUNS = {
    "sponsor", "steering committee", "business owner", "works council", "key users",
    "contractor", "subject matter expert", "supplier", "vendor", "benefit owner", "floor walkers",
}

ADJECTIVES = [
    "late", "incomplete", "unclear", "manual", "rushed", "untested", "informal", "legacy",
    "outdated", "duplicated", "fragile", "ambiguous", "overloaded", "unplanned", "bespoke",
]

#: fixed phrases written verbatim, targets of phrase queries
PHRASES = [
    "root cause", "lessons learned", "critical path", "change request", "steering committee",
    "user acceptance testing", "data migration", "business case", "purchase order",
    "single point of failure", "service level agreement", "test environment", "go-live date",
    "risk register", "scope creep", "status report",
]

SYSTEMS = [
    "SAP", "Salesforce", "Workday", "ServiceNow", "Oracle", "Dynamics", "SharePoint", "Jira",
    "Kronos", "Coupa", "Maximo", "Snowflake", "Okta", "Guidewire", "Primavera",
]

SITES = [
    "Leeds", "Rotterdam", "Lyon", "Krakow", "Porto", "Dublin", "Munich", "Gothenburg",
    "Turin", "Antwerp", "Brno", "Bilbao",
]

#: rare words the queries look for: the generator plants each in one document in 400
RARE_QUERIED = ["novation", "escrow", "demurrage", "apostille", "subsidence", "mojibake",
                "incoterms"]
#: the long tail: about one lesson in five mentions one of these
RARE = [
    "ransomware", "whistleblower", "geofence", "asbestos", "embargo", "sanctions", "arbitration",
    "liquidated", "hailstorm", "flooding", "strike", "pandemic", "quarantine", "tariff",
    "customs", "insolvency", "receivership", "cyberattack", "phishing", "outage", "blackout",
    "heatwave", "landslip", "scaffolding", "forklift", "sprinkler", "evacuation", "relocation",
    "sabbatical", "tribunal", "injunction", "notarised", "braille", "captioning", "ergonomics",
    "telemetry", "lidar", "drone", "satellite", "asbestos-survey", "heritage", "archaeology",
    "newts", "badgers", "hedgerow", "drainage", "cladding", "turnstile", "lanyard", "payroll",
]

#: sentence templates by section; every {slot} is filled by bench/corpus.py
PROBLEM = {
    "title": ["The {noun} arrived {n} weeks late and moved the {milestone}",
              "{adj} {noun} was found only at the {milestone}",
              "Nobody owned the {noun} until the {milestone}",
              "The {role} was brought in too late on the {noun}",
              "{noun} in {system} was not ready for the {milestone}"],
    "happened": ["The plan said the {noun} would be ready {n} weeks before the {milestone}.",
                 "The {role} raised the {noun} at the weekly meeting, but no decision was taken.",
                 "The supplier delivered the {noun} {n} weeks late, so the project team worked on the {noun2} instead.",
                 "During {phase} the team found that the {noun} was {adj}.",
                 "The {role} and the {role2} each assumed the other owned the {noun}.",
                 "In {site} the {system} {noun} had to be fixed by hand for {n} days.",
                 "We logged {ticket} when the {noun} failed in the test environment.",
                 "The {phrase} was discussed at the steering committee, with no owner named.",
                 "Around {pct}% of the {noun} had to be done again after the {milestone}."],
    "impact": ["The {milestone} slipped by {n} weeks.",
               "{money} of extra effort, approved through change request {cr}.",
               "The delay took {pct}% of the remaining contingency.",
               "Users worked around the {adj} {noun} for {n} weeks."],
    "cause": ["The {noun} was never a named deliverable with a date and an owner.",
              "The plan did not show the dependency on the {noun}, so the critical path hid it.",
              "The {role} had {n} other projects and no time for the {noun}.",
              "The {adj} {noun2} was accepted without a review by the {role}."],
    "lesson": ["A {noun} that nobody owns will slip behind everything that somebody does.",
               "Treat the {noun} as a deliverable, not a courtesy: give it a date and an owner.",
               "Late {noun} work costs more than early {noun2} work; plan the time for it."],
    "reco": ["Name an owner for the {noun} in the RACI and review it every week.",
             "Put the {noun} on the critical path at planning, with the lead time the {role} gives.",
             "Add the {noun} to the {phase} stage gate checklist.",
             "Agree acceptance criteria for the {noun} with the {role} before the {milestone}.",
             "Record the {noun} in the risk register with an early warning date."],
}
SUCCESS = {
    "title": ["Early {noun} work kept the {milestone} on plan",
              "A weekly {noun} review cut rework by {pct}%",
              "Involving the {role} early saved the {noun}",
              "Two {noun} rehearsals caught {n} defects before the {milestone}"],
    "happened": ["The project team planned the {noun} {n} weeks ahead of the {milestone}.",
                 "The {role} reviewed the {noun} every week with the {role2}.",
                 "A trial run in {site} found {n} problems in the {system} {noun}, all fixed before {phase} ended.",
                 "The {phrase} was kept up to date and read at every steering committee.",
                 "Key users tested the {noun} themselves and signed it off without delay."],
    "impact": ["The {milestone} was met on the planned date.",
               "Rework fell by {pct}% against the previous project.",
               "{money} of contingency was released back to the business case."],
    "cause": ["The {noun} had a named owner and a date from the start.",
              "The team made time for the {noun} in the plan instead of hoping for it."],
    "lesson": ["Rehearsing the {noun} early is cheaper than fixing it at the {milestone}.",
               "A short weekly review of the {noun} keeps the whole team honest."],
    "reco": ["Repeat the {noun} rehearsal on the next project with the same {role}.",
             "Reuse the {noun} checklist from this project; it is in the process model.",
             "Plan the {noun} {n} weeks before the {milestone} as a fixed step."],
}
# fmt: on
