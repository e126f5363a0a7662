"""The event log: its table, appending kb's own events (outbox), reading it in order."""
