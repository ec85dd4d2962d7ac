"""Writing files: atomically, assembled from pieces, or to standard output."""
