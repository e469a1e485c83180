"""Clients for the companion HTTP APIs of the service (jobs, operator info, exports)."""
