"""Outbound webhooks: subscriptions, the fan-out of kb's events into delivery runs, and the signed
delivery of one run.
"""
