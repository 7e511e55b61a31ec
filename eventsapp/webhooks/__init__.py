"""Outgoing webhooks: Standard Webhooks deliveries to the organisations' own systems."""
