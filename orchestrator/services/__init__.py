"""Writes and document building: one module per area (documents, drafts, publishing …)."""
