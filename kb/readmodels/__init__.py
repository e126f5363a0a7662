"""Read models: what one page or API resource shows, gathered once, with the access rules
applied, from the domains' services. The page and the API answer are both built from one
of these; templates receive it and query nothing."""
