"""Inbound CloudEvents: parsing (HTTP binding), the catalogue of the types kb consumes, producers
and their authentication, ingest into the log.
"""
