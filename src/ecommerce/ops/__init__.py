"""Operator tooling: commands that look at and repair a running system (`ecommerce dlq`)."""
