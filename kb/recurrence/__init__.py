"""Duplicates and recurrence: lessons similar to a lesson, and problems that came back."""
