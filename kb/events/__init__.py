"""The durable event log: every state change appends its event in the same transaction."""
