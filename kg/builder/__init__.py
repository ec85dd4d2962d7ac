"""Building a corpus: inputs, worker processes, the cache, progress and the library API."""
