"""Front matter: the strict YAML dialect, split/join round trips and set_key."""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

import pytest

from kb.core.errors import ValidationError
from kb.markdown import FRONT_MATTER_MAX_BYTES, _yaml, join, set_key, split


@pytest.fixture(params=_yaml.LOADERS, ids=lambda cls: cls.__name__)
def loader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> type:
    """Run a test with each available parser: the rules must not depend on libyaml."""
    monkeypatch.setattr(_yaml, "DEFAULT_LOADER", request.param)
    return request.param


def _doc(yaml_text: str, body: str = "Body\n") -> str:
    return f"---\n{yaml_text}---\n{body}"


def _alias_bomb() -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def test_alias_bomb_is_rejected_fast(loader: type) -> None:
    bomb = _alias_bomb()
    assert 300 <= len(bomb) <= 400
    started = time.thread_time()  # this thread's work: a busy machine does not count
    with pytest.raises(ValidationError, match=r"anchors and aliases are not allowed .*\(line 2\)"):
        split(_doc(bomb))
    assert time.thread_time() - started < 0.05


@pytest.mark.parametrize(
    "yaml_text",
    ["title: &t A\n", "a: 1\nb: *a\n", "list: [&x 1, 2]\n", "? &k key\n: v\n"],
)
def test_any_anchor_or_alias_is_rejected(loader: type, yaml_text: str) -> None:
    with pytest.raises(ValidationError, match="anchors and aliases"):
        split(_doc(yaml_text))


def test_python_object_tag_is_rejected_and_not_run(
    loader: type, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[object] = []
    monkeypatch.setattr(os, "system", lambda *args: calls.append(args))
    marker = tmp_path / "pwned"
    source = _doc(f'title: A\nx: !!python/object/apply:os.system ["touch {marker}"]\n')
    with pytest.raises(ValidationError, match=r"!!python/object/apply:os.system.*\(line 3\)"):
        split(source)
    assert calls == []
    assert not marker.exists()


@pytest.mark.parametrize(
    "yaml_text", ["a: !!str 1\n", "a: !custom x\n", "a: ! x\n", "a: !!map {b: 1}\n", "!!set {a}\n"]
)
def test_explicit_tags_are_rejected(loader: type, yaml_text: str) -> None:
    with pytest.raises(ValidationError, match=r"tags .* are not allowed in front matter \(line"):
        split(_doc(yaml_text))


def test_scalar_types(loader: type) -> None:
    meta, _ = split(
        _doc(
            "a: yes\nb: no\nc: on\nd: off\ne: y\nf: n\ng: Yes\n"
            "t1: true\nt2: False\nt3: TRUE\n"
            "day: 2025-03-14\nat: 2025-03-14 09:30:00\n"
            "count: 12\nratio: 2.5\nversion: '2.1'\nmode: 0755\nclock: 12:30\nbig: 1_000\n"
            "nothing: ~\nempty:\n"
        )
    )
    assert meta == {
        "a": "yes",
        "b": "no",
        "c": "on",
        "d": "off",
        "e": "y",
        "f": "n",
        "g": "Yes",
        "t1": True,
        "t2": False,
        "t3": True,
        "day": dt.date(2025, 3, 14),
        "at": dt.datetime(2025, 3, 14, 9, 30),
        "count": 12,
        "ratio": 2.5,
        "version": "2.1",
        "mode": "0755",
        "clock": "12:30",
        "big": "1_000",
        "nothing": None,
        "empty": None,
    }
    assert type(meta["day"]) is dt.date


def test_front_matter_over_16_kb_is_rejected(loader: type) -> None:
    big = "".join(f"key{i}: {'x' * 30}\n" for i in range(FRONT_MATTER_MAX_BYTES // 30))
    assert len(big) > FRONT_MATTER_MAX_BYTES
    with pytest.raises(ValidationError, match="limit is 16 KB"):
        split(_doc(big))


def test_front_matter_just_under_the_limit_is_accepted(loader: type) -> None:
    text = "summary: " + "x" * (FRONT_MATTER_MAX_BYTES - 11) + "\n"
    assert len(text) == FRONT_MATTER_MAX_BYTES - 1
    assert split(_doc(text))[0]["summary"].startswith("xxx")


@pytest.mark.parametrize(
    ("yaml_text", "line", "column"),
    [
        ("title: A\nsummary: B\n  bad: indent\n", 4, 6),
        ("title: A\nsummary: [unclosed\nstatus: x\n", 4, 7),
        ("title: A\n\ttabbed: x\n", 3, 1),
    ],
)
def test_yaml_error_names_the_line_in_the_file(
    loader: type, yaml_text: str, line: int, column: int
) -> None:
    with pytest.raises(ValidationError) as caught:
        split(_doc(yaml_text))
    assert caught.value.message.startswith(
        f"Front matter is not valid YAML (line {line}, column {column}): "
    )


@pytest.mark.parametrize("yaml_text", ["- a\n- b\n", "just text\n", "42\n"])
def test_top_level_must_be_a_mapping(loader: type, yaml_text: str) -> None:
    with pytest.raises(ValidationError, match="must be a set of `key: value` lines"):
        split(_doc(yaml_text))


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("1: one\n", r"keys must be text; 1 is not \(line 2\)"),
        ("true: x\n", "keys must be text"),
        ("? [a, b]\n: x\n", "keys must be text"),
        ("title: A\ntitle: B\n", r"'title' appears twice in front matter \(line 3\)"),
        ("a: 2025-02-30\n", r"'2025-02-30' is not a valid date .*\(line 2\)"),
        ("a: " + "[" * 50 + "]" * 50 + "\n", "nested more than 20 levels"),
        ("a: b\x07\n", r"U\+0007, which is not allowed \(line 2\)"),
    ],
)
def test_dialect_rules(loader: type, yaml_text: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        split(_doc(yaml_text))


def test_deeply_nested_yaml_is_refused_without_recursion_error(loader: type) -> None:
    with pytest.raises(ValidationError):
        split(_doc("a: " + "[" * 8000 + "]" * 8000 + "\n"))


def test_merge_key_is_an_ordinary_key(loader: type) -> None:
    assert split(_doc("<<: {a: 1}\n"))[0] == {"<<": {"a": 1}}


@pytest.mark.parametrize("source", ["---\ntitle: A\n\nBody\n", "---\n", "---"])
def test_missing_closing_line_is_rejected(source: str) -> None:
    with pytest.raises(ValidationError) as caught:
        split(source)
    assert caught.value.message == "The front matter starting on line 1 has no closing '---' line."


@pytest.mark.parametrize(
    ("source", "meta", "body"),
    [
        ("Just a body\n---\nx: 1\n---\n", {}, "Just a body\n---\nx: 1\n---\n"),
        ("\ufeffNo front matter", {}, "No front matter"),
        ("---\n---\nBody", {}, "Body"),
        ("---\n# a comment\n---\n", {}, ""),
        ("---\ntitle: A\n...\nBody", {"title": "A"}, "Body"),
        ("---\ntitle: A\n---", {"title": "A"}, ""),
        ("--- \ntitle: A\n---\t\nBody", {"title": "A"}, "Body"),
        ("----\ntitle: A\n---\n", {}, "----\ntitle: A\n---\n"),
    ],
)
def test_split_shapes(source: str, meta: dict, body: str) -> None:
    assert split(source) == (meta, body)


def test_bom_and_crlf_are_accepted_and_body_bytes_preserved() -> None:
    body = "\r\n\r\n# Title  \r\n\tcode\r\n\u00a0trailing   \r\n\r\n"
    meta, got = split("\ufeff---\r\ntitle: Über\r\ntags: [a, b]\r\n---\r\n" + body)
    assert meta == {"title": "Über", "tags": ["a", "b"]}
    assert got == body


def test_join_writes_readable_yaml() -> None:
    meta = {
        "id": "LL-2025-0007",
        "title": "Supplier spec: arrived late — again, " + "very long " * 20,
        "tags": ["vendor", "schedule"],
        "occurred_on": dt.date(2025, 3, 14),
        "flag": "yes",
    }
    text = join(meta, "## Summary\n")
    lines = text.split("\n")
    assert lines[0] == "---"
    assert lines[1] == "id: LL-2025-0007"
    assert lines[2].startswith("title: 'Supplier spec: arrived late — again, very long")
    assert lines[3:8] == [
        "tags: [vendor, schedule]",
        "occurred_on: 2025-03-14",
        "flag: 'yes'",
        "---",
        "",
    ]
    assert text.endswith("---\n\n## Summary\n")


@pytest.mark.parametrize("body", ["## Summary\n", "\nAlready spaced\n", "", "\r\nCRLF body"])
def test_join_split_round_trip(body: str) -> None:
    meta = {
        "title": "Ünïcödé 日本語 — \"quoted\" 'and' #hash: colon",
        "tags": ["vendor", "schedule", "yes", "0755", "tRuE", "1e5", "12:30"],
        "occurred_on": dt.date(2025, 3, 14),
        "reviewed_at": dt.datetime(2025, 3, 14, 9, 30, tzinfo=dt.UTC),
        "order": 3,
        "ratio": 0.5,
        "draft": False,
        "owner": None,
        "steps": [{"role": "PMO", "actions": ["review", "approve"]}],
        "nested": {"a": [1, 2], "b": "multi\nline"},
        "empty": [],
    }
    text = join(meta, body)
    assert split(text) == (meta, body if body.startswith("\n") else "\n" + body)
    assert list(split(text)[0]) == list(meta)


def test_join_with_empty_meta() -> None:
    assert join({}, "Body") == "---\n---\n\nBody"
    assert split(join({}, "Body")) == ({}, "\nBody")


def test_set_key_inserts_first_line_and_keeps_every_other_byte() -> None:
    source = "---\r\ntitle:   Odd   spacing  # comment\r\ntags: [b, a]\r\n---\r\n\r\nBody  \r\n"
    result = set_key(source, "id", "LL-2025-0001")
    assert result == (
        "---\r\nid: LL-2025-0001\r\ntitle:   Odd   spacing  # comment\r\n"
        "tags: [b, a]\r\n---\r\n\r\nBody  \r\n"
    )
    assert split(result)[0] == {"id": "LL-2025-0001", "title": "Odd   spacing", "tags": ["b", "a"]}


def test_set_key_creates_a_block_when_there_is_none() -> None:
    assert set_key("# Title\n\nBody", "id", "PM-0003") == "---\nid: PM-0003\n---\n# Title\n\nBody"
    assert set_key("\ufeffBody", "id", "GD-0001") == "\ufeff---\nid: GD-0001\n---\nBody"
    assert set_key("---\n---\nBody", "id", "GD-0001") == "---\nid: GD-0001\n---\nBody"


@pytest.mark.parametrize("value", ["yes", "a: b #c", "12:30", "", "line\nbreak", "'quoted'"])
def test_set_key_quotes_values_when_needed(value: str) -> None:
    result = set_key("---\ntitle: A\n---\n", "id", value)
    assert split(result)[0] == {"id": value, "title": "A"}
    assert result.endswith("\ntitle: A\n---\n")
    assert result.count("\n") == 4


def test_set_key_refuses_existing_key() -> None:
    with pytest.raises(ValueError, match="already has"):
        set_key("---\nid: LL-2025-0001\n---\n", "id", "LL-2025-0002")


@pytest.mark.parametrize("source", ["---\n{title: A}\n---\n", "---\n  title: A\n---\n"])
def test_set_key_refuses_what_it_cannot_insert_into(source: str) -> None:
    with pytest.raises(ValueError, match="without rewriting"):
        set_key(source, "id", "X")


def test_set_key_refuses_odd_keys() -> None:
    with pytest.raises(ValueError, match="not a plain front matter key"):
        set_key("Body", "bad key: x", "v")


def test_set_key_reports_invalid_front_matter() -> None:
    with pytest.raises(ValidationError):
        set_key("---\ntitle: [\n---\n", "id", "X")
