"""Deployment: agent integrations (settings and hooks merged into agents' own files), doctor checks."""
