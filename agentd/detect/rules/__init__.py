"""Declarative rule families; one module each, gathered in an explicit tuple."""
