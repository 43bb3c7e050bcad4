"""What the outside sees of a running daemon: the owner-only control socket and its client."""
