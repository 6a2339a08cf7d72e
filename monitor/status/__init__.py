"""The status page, the dashboard and the machine-readable status.

`model`: what they show; built from the store, served by the daemon and exported as files.
"""
