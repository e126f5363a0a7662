"""The only code that reads or writes files under a content tree (import/export)."""
