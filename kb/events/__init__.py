"""The durable event log: every state change appends its event in the same transaction.

Four parts, imports only going down: `log` (the table and appending to it) knows none of the
others; `jobs` (handler runs, their registry, dispatcher and worker) acts on the log;
`inbound` (CloudEvents ingest, producers) and `webhooks` (outbound subscriptions and
deliveries, which are job runs) use the log, and webhooks the jobs. `signing` (Standard
Webhooks secrets and signatures) is shared by inbound and webhooks. Nothing here imports a
domain: domains register their handlers and append their events.
"""
