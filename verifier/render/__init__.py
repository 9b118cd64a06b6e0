"""Renderers: each turns the one Report model into one format."""
