"""`agentd demo`: a scripted agent session through a throwaway daemon's real proxy.

Everything runs on loopback with its own state directory and certificates; nothing here is
used by the daemon itself.
"""
