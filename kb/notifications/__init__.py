"""Notifications: who hears about kb's own events — an in-app inbox per user and, when an SMTP
server is configured, e-mail. `recipients` decides who gets what; the handlers write the inbox
(transactional, once per event) and send the mail (at least once, never twice per address)."""
