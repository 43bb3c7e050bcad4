"""Capture: the edges that observe the host (proxy, hooks, file watchers, process table).

I/O only: turns the outside world into raw records and applies verdicts; no policy logic here.
"""
