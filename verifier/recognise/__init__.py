"""Bytes to a classified mail: parsing, kind, language, accounts, trust and reasons."""
