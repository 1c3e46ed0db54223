"""Per-user and per-address limits: token buckets, the per-user request limit applied to every
authenticated route, and the upload size refused early."""
