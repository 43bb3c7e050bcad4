"""Decide (pure): tool catalog, shell facts, session state, Cedar policy, risk and alerts."""
