"""The case format of the credit rules, and the measured case of a service."""
