"""``slawatch demo``: a local service with scripted failures, monitored end to end."""

from .run import run_demo
from .service import DemoNode, LoadBalancer

__all__ = ["DemoNode", "LoadBalancer", "run_demo"]
