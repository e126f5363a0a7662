"""One pydantic model per resource of the JSON API: it parses the request, serialises the
answer and is what the OpenAPI document says (kb.api.spec generates it from these)."""
