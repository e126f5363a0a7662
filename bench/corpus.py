"""A generated lessons-learned corpus for kb's tests and benchmarks (standard library only).

    python bench/corpus.py --n 10000 --seed 1 --out DIR [--style kb|export] [--processes K]

Writes into DIR:
    docs/            the documents, ready for `kb import DIR/docs`
    queries.json     [{"id", "kind", "q"}, ...]: 50 queries of seven kinds (QUERIES)
    manifest.json    n, seed, style, file and byte counts, a sha256 of every file

Two styles of the same lessons:
  kb       kb's own format (docs/format.md): docs/lessons/LL-YYYY-NNNN-slug.md with ids, status,
           polarity, priority, project keys, phases, topics, tags, dates, authors, a few restricted
           lessons, and the LLIS body sections; docs/projects/KEY.md for the projects they name;
           with --processes K, K process models in docs/processes/ that some lessons rely on.
  export   what another lessons tool hands over: one flat folder of files without ids, with
           `category`, `impact` and `date` instead of topics, priority and occurred_on.

Deterministic: document i comes from its own random generator seeded with "<seed>:<i>", so
the same seed writes the same bytes on any machine, and the first 1,000 lessons of a 10,000
lesson corpus are the 1,000 lesson corpus. Words are drawn with Zipf weights (a few words in
most lessons, a long tail of rare ones); each queried rare word is planted in one lesson in 400.
"""

from __future__ import annotations

import argparse
import bisect
import hashlib
import json
import random
import re
import sys
import unicodedata
from pathlib import Path

if __package__:  # imported as bench.corpus
    from . import corpus_words as w
else:  # run as a script, or imported with bench/ on sys.path
    import corpus_words as w

PHASES = list(w.MILESTONES)
#: kind -> queries; bare words are ANDed, quotes make a phrase, `field:value` filters
QUERIES: dict[str, list[str]] = {
    "single": [
        "supplier",
        "reconciliation",
        "backfill",
        "firewall",
        "hypercare",
        "tender",
        "contingency",
        "workaround",
    ],
    "two_words": [
        "supplier contract",
        "sponsor approval",
        "defect test",
        "budget forecast",
        "interface integration",
        "contractor handover",
        "supplier invoice",
    ],
    "multi_word": [
        "supplier delivered interface late",
        "test environment ready",
        "key users released testing",
        "steering committee approved budget",
        "data migration reconciliation",
        "risk register owner weekly",
        "scope creep backlog requirements",
    ],
    "phrase": [
        '"critical path"',
        '"change request"',
        '"user acceptance testing"',
        '"root cause"',
        '"test environment"',
        '"single point of failure"',
        '"business case"',
    ],
    "field": [
        "topics:procurement supplier",
        "phase:testing defect",
        "tags:cutover",
        "project:atlas",
        "status:published risk",
        "topics:schedule milestone",
        "title:late",
    ],
    "rare": list(w.RARE_QUERIED),
    "common": ["project", "team", "weeks", "plan", "delay", "users", "time"],
}


def query_list() -> list[dict[str, str]]:
    return [
        {"id": f"{kind}-{n:02d}", "kind": kind, "q": q}
        for kind, queries in QUERIES.items()
        for n, q in enumerate(queries, 1)
    ]


class Ranked:
    """Draws from a list ranked most-frequent-first with weight 1 / rank**s (Zipf)."""

    def __init__(self, items: list, s: float = 1.0):
        self.items = list(items)
        self.cumulative: list[float] = []
        total = 0.0
        for rank in range(1, len(self.items) + 1):
            total += rank**-s
            self.cumulative.append(total)

    def __call__(self, rng: random.Random):
        x = rng.random() * self.cumulative[-1]
        return self.items[min(bisect.bisect_left(self.cumulative, x), len(self.items) - 1)]


TOPIC = Ranked(list(w.TOPICS), 0.7)
PROJECT = Ranked(w.PROJECTS, 0.9)
PERSON = Ranked(w.PEOPLE, 0.6)
ROLE = Ranked(w.ROLES, 0.8)
ADJ = Ranked(w.ADJECTIVES)
PHRASE = Ranked(w.PHRASES, 0.8)
SYSTEM = Ranked(w.SYSTEMS)
SITE = Ranked(w.SITES)
TOPIC_NOUNS = {t: Ranked(nouns, 0.9) for t, (nouns, _, _) in w.TOPICS.items()}


class Slots(dict):
    """`template.format_map(Slots(...))`: every {slot} is drawn afresh for this lesson."""

    def __init__(self, rng: random.Random, topics: list[str], phase: str):
        super().__init__()
        self.rng, self.topics, self.phase = rng, topics, phase
        self.last_role = ""

    def noun(self) -> str:
        # most nouns come from the lesson's own topics, the rest from anywhere
        for _ in range(8):  # a thing, not a person: nearly always found in a few draws
            topic = self.rng.choice(self.topics) if self.rng.random() < 0.7 else TOPIC(self.rng)
            noun = TOPIC_NOUNS[topic](self.rng)
            if noun not in w.PEOPLE_NOUNS:
                break
        return noun

    def role(self) -> str:
        # {role} and {role2} in one sentence are two people: never draw the last one again
        role = ROLE(self.rng)
        while role == self.last_role:
            role = ROLE(self.rng)
        self.last_role = role
        return role

    def __missing__(self, key: str) -> str:
        r = self.rng
        draw = {
            "noun": self.noun,
            "noun2": self.noun,
            "role": self.role,
            "role2": self.role,
            "adj": lambda: ADJ(r),
            "phrase": lambda: PHRASE(r),
            "milestone": lambda: r.choice(w.MILESTONES[self.phase]),
            "phase": lambda: self.phase,
            "system": lambda: SYSTEM(r),
            "site": lambda: SITE(r),
            "n": lambda: str(r.choice([2, 2, 3, 3, 4, 5, 6, 8, 12])),
            "pct": lambda: str(r.randint(4, 65)),
            "money": lambda: f"EUR {r.randint(8, 900)},000",
            "cr": lambda: f"CR-{r.randint(10, 999):03d}",
            "ticket": lambda: f"{r.choice(['CR', 'RISK', 'ISS', 'INC'])}-{r.randint(10, 9999):03d}",
        }
        return draw[key]()


#: drawn uniformly: mostly published, as in a kept log
STATUSES = (
    ["published"] * 11
    + ["draft"] * 2
    + [
        "submitted",
        "in_review",
        "in_action",
        "actioned",
        "verified",
        "archived",
    ]
)


def slug(text: str, limit: int = 50) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:limit].strip("-")


def yaml_value(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(yaml_value(v) for v in value) + "]"
    text = str(value)
    if isinstance(value, int) or re.fullmatch(r"\d{4}-\d\d-\d\d", text):
        return text
    # plain when YAML reads it back as the same text; "1.2" or "no" would not be
    if re.fullmatch(r"[A-Za-z][A-Za-z0-9 ._/-]*", text) and text.lower() not in {
        "yes",
        "no",
        "on",
        "off",
        "true",
        "false",
        "null",
    }:
        return text
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML double-quoted one


def front_matter(fields: dict) -> str:
    lines = [f"{k}: {yaml_value(v)}" for k, v in fields.items() if v not in (None, [], "")]
    return "---\n" + "\n".join(lines) + "\n---\n"


def lesson(seed: int, i: int, style: str = "kb", processes: int = 0) -> tuple[str, str]:
    """Lesson number i (from 1) as (path under docs/, text)."""
    rng = random.Random(f"{seed}:{i}")
    topics = list(dict.fromkeys(TOPIC(rng) for _ in range(rng.randint(1, 3))))
    phase = rng.choice(PHASES)
    success = rng.random() < 0.25
    t = w.SUCCESS if success else w.PROBLEM
    slots = Slots(rng, topics, phase)

    def say(kind: str, low: int, high: int) -> list[str]:
        return [rng.choice(t[kind]).format_map(slots) for _ in range(rng.randint(low, high))]

    title = say("title", 1, 1)[0]
    title = title[:1].upper() + title[1:]
    key, project_name, _ = PROJECT(rng)
    year, month, day = rng.randint(2017, 2026), rng.randint(1, 12), rng.randint(1, 28)
    occurred = f"{year}-{month:02d}-{day:02d}"
    priority = rng.choices(["low", "medium", "high", "critical"], [3, 4, 3, 1])[0]
    tags = {rng.choice(w.TOPICS[tp][1]) for tp in topics}
    tags = sorted(tags | {phase} if rng.random() < 0.3 else tags)  # sorted: sets have no order
    happened = say("happened", 3, 7)
    if (i - 1) % 400 < len(w.RARE_QUERIED):  # planted: every queried rare word has hits
        happened.insert(1, f"The {w.RARE_QUERIED[(i - 1) % 400]} clause also had to be checked.")
    elif rng.random() < 0.2:
        happened.append(f"The {rng.choice(w.RARE)} question was new to everyone on the team.")
    split = rng.randint(1, len(happened) - 1)
    sections = [
        ("Summary", f"{title}. " + " ".join(say("impact", 1, 1))),
        ("What happened", " ".join(happened[:split]) + "\n\n" + " ".join(happened[split:])),
        ("Impact", "\n".join(f"- {s}" for s in say("impact", 1, 3))),
        ("Root cause", " ".join(say("cause", 1, 3))),
        ("Lesson", " ".join(say("lesson", 1, 2))),
        ("Recommendation", "\n".join(f"{n}. {s}" for n, s in enumerate(say("reco", 2, 4), 1))),
        (
            "Evidence",
            f"- {slots['ticket']} in the issue log.\n"
            f"- Steering committee minutes {year}-{month:02d}-{min(day + 3, 28):02d}.",
        ),
    ]
    if style == "export":
        meta = {
            "title": title,
            "project": project_name,
            "phase": phase.capitalize(),
            "category": w.TOPICS[topics[0]][2],
            "tags": tags,
            "impact": priority.capitalize(),
            "date": occurred,
        }
        body = "".join(f"## {h}\n{text}\n\n" for h, text in sections if h != "Summary")
        return f"{i:05d}-{slug(title)}.md", front_matter(meta) + f"# {title}\n\n" + body
    restricted = rng.random() < 0.04
    lesson_id = f"LL-{year}-{i:04d}"
    meta = {
        "id": lesson_id,
        "title": title,
        "status": rng.choice(STATUSES),
        "polarity": "success" if success else "problem",
        "priority": priority,
        "project": key,
        "phase": phase,
        "topics": topics,
        "tags": tags,
        "occurred_on": occurred,
        "author": PERSON(rng),
        "visibility": "restricted" if restricted else None,
        "groups": [rng.choice(["finance", "hr", "legal"])] if restricted else [],
        "processes": [f"PM-{rng.randint(1, processes):04d}"]
        if processes and rng.random() < 0.15
        else [],
    }
    body = "\n".join(f"## {h}\n{text}\n" for h, text in sections)
    return f"lessons/{lesson_id}-{slug(title)}.md", front_matter(meta) + "\n" + body


def process(seed: int, k: int) -> tuple[str, str]:
    """Process model number k (from 1) as (path under docs/, text)."""
    rng = random.Random(f"{seed}:process:{k}")
    topic = TOPIC(rng)
    noun = TOPIC_NOUNS[topic](rng)
    state = rng.choice(["as-is", "to-be"])
    title = f"{noun[:1].upper() + noun[1:]} handling ({state})"
    roles = list(dict.fromkeys(ROLE(rng) for _ in range(rng.randint(2, 4))))
    key, _, _ = PROJECT(rng)
    meta = {
        "id": f"PM-{k:04d}",
        "title": title,
        "summary": f"How the {roles[0]} and the {roles[-1]} handle the {noun}, step by step.",
        "status": rng.choice(["published", "published", "draft", "in_review"]),
        "version": f"{rng.randint(1, 3)}.{rng.randint(0, 4)}",
        "state": state,
        "owner": PERSON(rng),
        "project": key,
        "roles": roles,
        "review_period_months": rng.choice([6, 12, 12, 24]),
        "last_reviewed": f"{rng.randint(2022, 2026)}-{rng.randint(1, 12):02d}-15",
        "topics": [topic],
        "tags": [rng.choice(w.TOPICS[topic][1])],
    }
    steps = "".join(
        f"### {role[:1].upper() + role[1:]}\n"
        + "".join(
            f"{n}. Check the {TOPIC_NOUNS[topic](rng)} and record the result.\n"
            for n in range(1, rng.randint(2, 5))
        )
        + "\n"
        for role in roles
    )
    body = (
        f"## Purpose\nKeep the {noun} under control from request to sign-off.\n\n"
        f"## Scope\nEvery project in the {PROJECT(rng)[2]} portfolio.\n\n"
        f"## Steps\n{steps}## Exceptions\nUrgent cases go to the {roles[0]} directly.\n"
    )
    return f"processes/PM-{k:04d}-{slug(title)}.md", front_matter(meta) + "\n" + body


def project(key: str, name: str, portfolio: str) -> tuple[str, str]:
    meta = {"key": key, "name": name, "status": "active", "portfolio": portfolio}
    return f"projects/{key}.md", front_matter(meta) + f"\nThe {name} project.\n"


def write_corpus(out: Path, n: int, seed: int, style: str = "kb", processes: int = 0) -> dict:
    """Write the corpus into out (see the module docstring); returns the manifest."""
    docs = out / "docs"
    files = [lesson(seed, i, style, processes) for i in range(1, n + 1)]
    if style == "kb":
        named = {m.group(1) for _, text in files if (m := re.search(r"\nproject: (\S+)", text))}
        files += [project(*p) for p in w.PROJECTS if p[0] in named]
        files += [process(seed, k) for k in range(1, processes + 1)]
    digest = hashlib.sha256()
    size = 0
    for path, text in files:
        data = text.encode("utf-8")
        (docs / path).parent.mkdir(parents=True, exist_ok=True)
        (docs / path).write_bytes(data)
        digest.update(path.encode() + b"\0" + data)
        size += len(data)
    queries = query_list()
    (out / "queries.json").write_text(json.dumps(queries, indent=1) + "\n", encoding="utf-8")
    manifest = {
        "n": n,
        "seed": seed,
        "style": style,
        "processes": processes,
        "files": len(files),
        "bytes": size,
        "sha256": digest.hexdigest(),
        "queries": len(queries),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="number of lessons")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True, help="folder to write into")
    parser.add_argument("--style", choices=["kb", "export"], default="kb")
    parser.add_argument("--processes", type=int, default=0, help="process models (kb style)")
    args = parser.parse_args(argv)
    manifest = write_corpus(args.out, args.n, args.seed, args.style, args.processes)
    sys.stdout.write(json.dumps(manifest) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
