"""The lesson's status panel: each step open to the viewer is a button with one line saying
what happens; a destructive step is never the primary button and comes last."""

from __future__ import annotations

import html
import re


def buttons(page: str) -> list[tuple[str, str, str]]:
    """(button classes, label, effect) of each step, in order."""
    effects = dict(
        re.findall(r'<p class="step-effect" id="step-([a-z_]+)-effect">([^<]+)</p>', page)
    )
    found = re.findall(
        r'<button type="submit" class="([^"]*)" aria-describedby="step-([a-z_]+)-effect">'
        r"([^<]+)</button>",
        page,
    )
    return [(classes, label, html.unescape(effects[to])) for classes, to, label in found]


def test_a_curator_gets_publish_first_and_reject_last_never_primary(login_as, make_lesson):
    doc = make_lesson("Spec late", status="in_review")
    steps = buttons(login_as("curator").get(f"/lessons/{doc.id}").get_data(as_text=True))
    labels = [label for _, label, _ in steps]
    assert labels[0] == "Publish" and labels[-2:] == ["Reject", "Merge into…"]
    primary = [label for classes, label, _ in steps if "button-quiet" not in classes]
    assert primary == ["Publish"]
    for classes, label, effect in steps:
        assert effect.strip(), label
        if label in ("Reject", "Merge into…"):
            assert "button-danger" in classes
    assert "Everyone can find and use it" in steps[0][2]


def test_the_author_sees_submit_and_a_reader_nothing(login_as, kb):
    from kb.documents import services

    cleo_client = login_as("contributor", "cleo")
    doc = services.create_document(
        kb.db,
        "---\ntitle: Draft one\nstatus: draft\n---\n\nText.\n",
        actor="cleo",
        created_by="cleo",
        type_hint="lesson",
    )
    steps = buttons(cleo_client.get(f"/lessons/{doc.id}").get_data(as_text=True))
    assert [(label, effect) for _, label, effect in steps] == [
        ("Submit for review", "Send it to the curators' queue for review.")
    ]
    page = login_as("reader").get(f"/lessons/{doc.id}").get_data(as_text=True)
    assert buttons(page) == [] and "Nothing for you to do here." in page
