"""Granularity building blocks: views and multi-grained scanning."""
