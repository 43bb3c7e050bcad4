"""The protobuf boundary: generated code (never edited) and the event codec."""
