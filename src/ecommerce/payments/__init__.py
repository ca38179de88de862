"""Payments: the charge/refund worker's domain, ledger store and gateway client."""
