"""Briefings: the lessons pushed to a project manager when a project starts and at every gate."""
