"""The status page, the dashboard and the machine-readable status: what they show (`model`), built from the store (`build`)."""
