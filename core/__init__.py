"""Solsignals core: ingestion, decoding, market maths, storage. Knows nothing of bots or Django."""
