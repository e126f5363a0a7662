"""The Markdown a new document starts from: the front matter keys and body headings of
docs/format.md, so that people write lessons and process models the same way."""

from __future__ import annotations

LESSON = """\
---
title:
status: draft
polarity: problem
priority: medium
project:
phase:
topics: []
tags: []
occurred_on:
author:
---

## Summary

One or two sentences: what should the next project know?

## What happened

## Impact

## Root cause

## Lesson

## Recommendation

## Evidence
"""

PROCESS = """\
---
title:
summary:
status: draft
version: "1.0"
state: as-is
owner:
custodian:
project:
roles: []
review_period_months: 12
last_reviewed:
topics: []
tags: []
---

## Purpose

## Scope

## Steps

### Role

1. First step

## Exceptions
"""

GUIDE = """\
---
title:
summary:
status: draft
order:
topics: []
tags: []
---

Write the guide here. Link to the lessons and process models a new joiner should read.
"""

TERM = """\
---
title:
summary:
status: draft
aliases: []
related: []
topics: []
tags: []
---

Write what the term means in this PMO, with an example.
"""

STARTERS = {"lesson": LESSON, "process": PROCESS, "guide": GUIDE, "term": TERM}

#: a reminder under the edit box of what a good document of each type contains
HINTS = {
    "lesson": "Required: title. Sections, in order: Summary, What happened, Impact, Root cause, "
    "Lesson, Recommendation, Evidence.",
    "process": "Required: title. Sections: Purpose, Scope, Steps (a ### heading per role with "
    'numbered steps), Exceptions. Quote the version: "2.1".',
    "guide": "Required: title. `order` sets the reading order in Guides.",
    "term": "Required: title (the term). `summary`: a one-sentence definition, shown where the "
    "term is linked; `aliases`: other names; `related`: other terms.",
}


def starter(doc_type: str) -> str:
    return STARTERS[doc_type]
