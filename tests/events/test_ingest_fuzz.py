"""Malformed input never becomes a 500: seeded mutations of valid events, every mode."""

from __future__ import annotations

import json
import random

import pytest

from kb.events.inbound import catalogue

BATCH = "application/cloudevents-batch+json"
JUNK = [
    None,
    True,
    0,
    -1,
    2**31,
    2**80,
    1.5,
    -1e308,
    "",
    " ",
    "x" * 300,
    "\x00",
    "\ud800",
    "é",
    "2025-02-30",
    "2025-06-30T17:00:00Z",
    "ATLAS",
    "a@b.c",
    "urn:x",
    [],
    [1, "a"],
    {},
    {"projectId": None},
    [[[[[]]]]],
    "%ZZ",
    "null",
    "v1,AAAA",
]


def mutate(rng: random.Random, value, depth: int = 0):
    """A copy of `value` with one leaf, key or container changed at random."""
    if isinstance(value, dict) and value and depth < 6:
        out = dict(value)
        key = rng.choice(list(out))
        roll = rng.random()
        if roll < 0.2:
            del out[key]
        elif roll < 0.3:
            out[rng.choice(["Bad Key", "", "x" * 25, "data_base64", "ü"])] = rng.choice(JUNK)
        else:
            out[key] = mutate(rng, out[key], depth + 1)
        return out
    if isinstance(value, list) and value and depth < 6:
        out = list(value)
        i = rng.randrange(len(out))
        out[i] = mutate(rng, out[i], depth + 1)
        return out
    return rng.choice(JUNK)


def test_mutated_events_never_500(kb, ingest_post, ingest_event):
    rng = random.Random(20251219)
    shorts = list(catalogue.INBOUND) + ["com.example.other"]
    statuses = set()
    for n in range(150):
        event = mutate(rng, ingest_event(rng.choice(shorts), id=f"f{n}"))
        if n % 3 == 0:
            response = ingest_post([ingest_event(id=f"g{n}"), event], BATCH)
        else:
            try:
                body = json.dumps(event).encode("utf-8")
            except UnicodeEncodeError:
                body = json.dumps(event, ensure_ascii=True).encode()
            response = ingest_post(body)
        assert response.status_code in (202, 400, 413), (event, response.json)
        statuses.add(response.status_code)
        if response.status_code != 202:
            assert set(response.json["error"]) >= {"code", "message"}
    assert statuses >= {202, 400}


@pytest.mark.parametrize("seed", range(3))
def test_mutated_binary_headers_never_500(ingest_post, seed):
    rng = random.Random(seed)
    base = {
        "ce-id": "1",
        "ce-source": "urn:x",
        "ce-type": "org.pmo.project.closed",
        "ce-specversion": "1.0",
        "ce-time": "2025-06-30T17:00:00Z",
    }
    for n in range(40):
        headers = dict(base, **{"ce-id": f"h{seed}-{n}"})
        name = rng.choice([*base, "ce-", "ce-Partition_Key", "ce-subject", "ce-x" * 10])
        headers[name] = rng.choice(["", "%", "%FF", "%C3%A9", "a%20b", "x" * 250, "0.3"])
        body = rng.choice([b"", b"{}", b"[", b"\xff", b'{"project": 1}', b"null"])
        response = ingest_post(
            body, rng.choice(["application/json", "text/plain"]), headers=headers
        )
        assert response.status_code in (202, 400, 413, 415), response.json
