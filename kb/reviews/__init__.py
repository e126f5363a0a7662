"""Lessons reviews opened when a project closes, and the PMO's custody of its process models."""
