"""Projections of feedback documents into the formats courses already use."""
