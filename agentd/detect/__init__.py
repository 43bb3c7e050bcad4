"""Detect (pure): secrets, PII and injection markers to findings; never keeps a raw value."""
