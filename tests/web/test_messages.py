"""Error messages on pages: names quoted `like this` become code, nothing becomes markup."""

from __future__ import annotations

from kb.web.present import message


def test_a_quoted_name_is_set_as_code_and_the_rest_is_escaped():
    assert message("`tag` is given 31 times") == "<code>tag</code> is given 31 times"
    assert message("`<b>` and <script>") == "<code>&lt;b&gt;</code> and &lt;script&gt;"
    assert message("a lone ` stays") == "a lone ` stays"
    assert message(None) == ""


def test_the_error_page_shows_no_backticks(client):
    response = client.get("/lessons?page=0")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "<code>page</code> must be between 1 and 10,000" in page
    assert "`page`" not in page
