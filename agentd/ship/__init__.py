"""Ship: host keys, signed hash-chained batches, the gRPC client and policy sync."""
