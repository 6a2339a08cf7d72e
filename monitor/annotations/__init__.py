"""Annotations people add beside the evidence: exclusions (C5, C6) and provider notices (C4)."""
