"""File formats between stages, video decoding, atomic writes, exports and provenance
(docs/formats.md)."""
