"""Linking: divisions and organs to the official table, instruments to canonical titles."""
