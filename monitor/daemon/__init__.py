"""The daemon and its surfaces: HTTP, metrics, alerts, webhooks, logs."""
