"""One module per wire format; DIALECTS is the explicit, ordered tuple of them."""
