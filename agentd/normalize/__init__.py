"""Normalize (pure): wire formats and sessions to events. No sockets, files or clock reads."""
