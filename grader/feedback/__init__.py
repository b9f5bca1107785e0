"""The feedback document: its typed model, outcomes and statuses, its JSON Schema, and reading and writing it."""
