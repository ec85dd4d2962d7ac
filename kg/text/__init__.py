"""Bytes to structured text: reading, decoding, HTML, normalising, aligned offsets, sections."""
