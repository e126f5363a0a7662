"""Onboarding paths: ordered steps to read, curated by the PMO, taken or assigned, with each
person's progress."""
