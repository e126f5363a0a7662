"""Accounts, roles, groups and API tokens: who may read and change what."""
