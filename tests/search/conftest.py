"""Fixtures for kb.search: a small realistic corpus and real Whoosh indexes in tmp_path."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from kb.search import IndexDoc, SearchIndex, collect

PROJECT_NAMES = {
    "ATLAS": "Atlas ERP Upgrade",
    "P3": "Phoenix Payroll Replacement",
    "P7": "Orion Data Warehouse",
    "MERC": "Mercury CRM Rollout",
}

# id, type, title, body, project, phase, topics, tags, polarity, date (y, m, d): one row a
# document, packed (the formatter would give each field a line of its own)
# fmt: off
_ROWS = [
    ("LL-2025-0001", "lesson", "Escrow agreement delayed the source code handover",
     "The supplier refused to sign until legal reviewed the deposit terms.",
     "ATLAS", "procurement", ["procurement", "schedule"], ["escrow", "legal"], "problem",
     (2025, 3, 1)),
    ("LL-2025-0002", "lesson", "Licence costs were underestimated",
     "Finance found late that the escrow clause added a yearly fee to the licence.",
     "ATLAS", "planning", ["cost"], ["licence", "finance"], "problem", (2025, 2, 11)),
    ("LL-2024-0003", "lesson", "Vendor invoice arrived without purchase order",
     "The vendor sent an invoice for work nobody had approved; accounts payable held it.",
     "P3", "build", ["procurement", "governance"], ["vendor", "invoice"], "problem",
     (2024, 11, 5)),
    ("LL-2024-0004", "lesson", "Vendor onboarding took six weeks",
     "Security checks for the new vendor were started only after contract signature.",
     "P3", "procurement", ["procurement", "resources"], ["vendor", "onboarding"], "problem",
     (2024, 9, 20)),
    ("LL-2024-0005", "lesson", "Invoice approval workflow was unclear",
     "Nobody knew who approves an invoice above the threshold, so payments stalled.",
     "P7", "build", ["governance"], ["invoice", "approval"], "problem", (2024, 7, 2)),
    ("LL-2024-0006", "lesson", "User acceptance testing found late defects",
     "User acceptance testing started two weeks late and found forty defects in payroll.",
     "P3", "testing", ["quality", "schedule"], ["uat", "defects"], "problem", (2024, 6, 14)),
    ("LL-2024-0007", "lesson", "Testing environment shared with training",
     "The acceptance criteria were vague; the user community and testing team fought over"
     " the environment.",
     "P7", "testing", ["quality", "technical"], ["environment", "uat"], "problem",
     (2024, 5, 30)),
    ("LL-2024-0008", "lesson", "Early planning workshop paid off",
     "A planning workshop in week one aligned the sponsor and the planners on milestones.",
     "MERC", "initiation", ["schedule", "stakeholders"], ["workshop", "planning"], "success",
     (2024, 4, 18)),
    ("LL-2024-0009", "lesson", "Critical path ignored the data migration",
     "The schedule showed the critical path through build, but data migration was planned"
     " late and slipped the go-live.",
     "P7", "planning", ["schedule", "technical"], ["critical-path", "migration"], "problem",
     (2024, 3, 9)),
    ("LL-2024-0010", "lesson", "Data migration reconciliation automated",
     "Automated reconciliation of migrated records cut the cutover weekend by a day.",
     "P7", "deployment", ["technical", "quality"], ["migration", "reconciliation"], "success",
     (2024, 2, 22)),
    ("LL-2023-0011", "lesson", "Risk register was not reviewed",
     "The risk register sat untouched for three months; two risks became issues.",
     "P3", "build", ["risk", "governance"], ["risk-register", "raid"], "problem",
     (2023, 12, 1)),
    ("LL-2023-0012", "lesson", "Risk workshop with the supplier",
     "A joint risk workshop surfaced the single point of failure in the interface team.",
     "P7", "design", ["risk", "stakeholders"], ["risk", "workshop"], "success",
     (2023, 10, 12)),
    ("LL-2023-0013", "lesson", "Single point of failure in the integration team",
     "Only one engineer understood the integration; when she left the build stopped.",
     "ATLAS", "build", ["resources", "risk"], ["key-person", "integration"], "problem",
     (2023, 9, 3)),
    ("LL-2023-0014", "lesson", "Steering committee decisions were not recorded",
     "Decisions from the steering committee were lost because no decision log existed.",
     "MERC", "closure", ["governance", "communications"], ["decision-log", "steering"],
     "problem", (2023, 8, 15)),
    ("LL-2023-0015", "lesson", "Change request backlog grew unnoticed",
     "Change requests were logged by email; by go-live forty were still open.",
     "ATLAS", "deployment", ["change management", "scope"], ["change-request", "backlog"],
     "problem", (2023, 7, 7)),
    ("LL-2023-0016", "lesson", "Training plan matched the change network",
     "Super users trained their teams before go-live; adoption was high in week one.",
     "MERC", "transition", ["change management", "benefits"], ["training", "adoption"],
     "success", (2023, 6, 21)),
    ("LL-2023-0017", "lesson", "Sandbox form broke on pasted markup",
     "Pasting <script>alert(1)</script> into the sandbox form broke the page & the tests.",
     "MERC", "testing", ["technical", "quality"], ["sandbox", "security"], "problem",
     (2023, 5, 2)),
    ("LL-2022-0018", "lesson", "Budget contingency used up in design",
     "Design rework consumed the contingency before build had started.",
     "ATLAS", "design", ["cost", "risk"], ["contingency", "budget"], "problem",
     (2022, 12, 12)),
    ("LL-2022-0019", "lesson", "Cutover rehearsal saved the go-live",
     "Two full cutover rehearsals found the missing firewall rule early.",
     "P3", "deployment", ["technical", "schedule"], ["cutover", "rehearsal"], "success",
     (2022, 10, 4)),
    ("LL-2022-0020", "lesson", "Benefits were never measured",
     "After closure nobody owned the benefits; the business case was not revisited.",
     "P7", "closure", ["benefits", "governance"], ["benefits", "business-case"], "problem",
     (2022, 8, 28)),
    ("LL-2022-0021", "lesson", "Contract penalty clause was unenforceable",
     "The penalty clause had no measurable service level, so the vendor ignored it.",
     "P3", "procurement", ["procurement", "quality"], ["contract", "vendor", "penalty"],
     "problem", (2022, 6, 16)),
    ("LL-2022-0022", "lesson", "Sponsor approval came too late",
     "Sponsor approval of the design took five weeks because the sponsor was travelling.",
     "MERC", "design", ["stakeholders", "schedule"], ["sponsor", "approval"], "problem",
     (2022, 4, 3)),
    ("PM-0001", "process", "Supplier onboarding (to-be)",
     "Steps from due diligence to first purchase order for a new supplier or vendor.",
     "P3", None, ["procurement"], ["onboarding", "supplier"], None, (2024, 10, 1)),
    ("PM-0002", "process", "Change request handling",
     "How a change request is logged, assessed by the change advisory board and approved.",
     None, None, ["change management", "governance"], ["change-request"], None,
     (2024, 1, 15)),
    ("PM-0003", "process", "Risk review cycle",
     "Monthly review of the risk register by risk owners, escalation to the steering"
     " committee.",
     None, None, ["risk", "governance"], ["risk-register"], None, (2023, 11, 20)),
    ("PM-0004", "process", "Invoice approval",
     "Invoices are matched to a purchase order and approved by the budget holder.",
     "P7", None, ["cost", "procurement"], ["invoice", "approval"], None, (2023, 4, 11)),
    ("GD-0001", "guide", "Start here: how the PMO keeps lessons",
     "New joiners read this first: lessons learned, process models and project reviews.",
     None, None, ["governance"], ["onboarding", "pmo"], None, (2025, 1, 6)),
    ("GD-0002", "guide", "Writing a good lesson",
     "A good lesson names the root cause, the impact and one recommendation.",
     None, None, ["quality"], ["writing", "pmo"], None, (2024, 12, 2)),
    ("LL-2021-0029", "lesson", "Planned resources were double booked",
     "The resource planner booked the same analyst on two projects during build.",
     "ATLAS", "planning", ["resources", "schedule"], ["resourcing", "planning"], "problem",
     (2021, 11, 30)),
    ("LL-2021-0030", "lesson", "Escrow release tested before go-live",
     "We rehearsed an escrow release with the supplier, proving the deposit could be built.",
     "ATLAS", "testing", ["procurement", "risk"], ["escrow", "rehearsal"], "success",
     (2021, 9, 9)),
]
# fmt: on


def make_doc(**overrides: object) -> IndexDoc:
    """An IndexDoc with plausible defaults; override any field."""
    values: dict = {
        "id": "LL-2025-9999",
        "type": "lesson",
        "title": "A lesson",
        "summary": "",
        "body": "Something happened and we learned from it.",
        "status": "published",
        "project": None,
        "project_name": None,
        "phase": None,
        "topics": [],
        "tags": [],
        "polarity": None,
        "priority": "medium",
        "author": "Dana Reviewer",
        "date": datetime(2024, 1, 1, tzinfo=UTC),
        "updated_at": datetime(2024, 1, 2, tzinfo=UTC),
    }
    values.update(overrides)
    if values["project"] and "project_name" not in overrides:
        values["project_name"] = PROJECT_NAMES.get(str(values["project"]))
    return IndexDoc(**values)


def corpus_docs() -> list[IndexDoc]:
    docs = []
    for doc_id, doc_type, title, body, project, phase, topics, tags, polarity, ymd in _ROWS:
        docs.append(
            make_doc(
                id=doc_id,
                type=doc_type,
                title=title,
                body=body,
                project=project,
                phase=phase,
                topics=topics,
                tags=tags,
                polarity=polarity,
                date=datetime(*ymd, tzinfo=UTC),
                updated_at=datetime(*ymd, tzinfo=UTC),
            )
        )
    return docs


@pytest.fixture
def doc_factory() -> Callable[..., IndexDoc]:
    return make_doc


@pytest.fixture(scope="session")
def corpus() -> list[IndexDoc]:
    return corpus_docs()


@pytest.fixture(scope="session")
def built_index(tmp_path_factory: pytest.TempPathFactory, corpus: list[IndexDoc]):
    """Read-only index of the corpus, shared by the tests that only query."""
    ix = SearchIndex(tmp_path_factory.mktemp("built") / "index")
    ix.rebuild(corpus, last_seq=len(corpus))
    yield ix
    ix.close()


@pytest.fixture
def search_index(tmp_path):
    """A fresh, empty index folder for tests that write."""
    ix = SearchIndex(tmp_path / "index")
    yield ix
    ix.close()


def top_of_all(searcher, q, hidden: frozenset[int], limit: int, filter_q=None) -> tuple:  # noqa: ANN001
    """(top `limit` hits as (document, score), every visible match) of collect.TopOfAll."""
    matched: list[int] = []
    results = collect.run(
        searcher,
        q,
        filter_q,
        collect.Budget(5),
        hidden=hidden,
        collector=collect.TopOfAll(limit),
        matched=matched,
    )
    return [(h.docnum, h.score) for h in results], matched
