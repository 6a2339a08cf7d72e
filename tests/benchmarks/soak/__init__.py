"""The soak run, ``./dev soak [--minutes N]`` (an hour by default): slawatch left running under a
steady load while its targets fail and its store restarts, then held to what it promises.

- A private PostgreSQL cluster in a temporary directory (:mod:`.cluster`), never the server other
  runs share, restarted twice during the run (stopped for 25 s, so the daemon sees the store
  down, spools and writes the backlog when it is back), removed at the end.
- 200 services of 10 http checks each, every 10 s, retry 1 s, confirm 2, on loopback targets in
  a process of their own (:mod:`.fleet`) that log every request they serve.
- A script fixed by a seed (:mod:`.plan`): whole-service outages of 30 s to 3 min, about thirty
  an hour, and two around each store restart, one ending and one starting while it is down.
- ``slawatch run`` on that store, its RSS sampled and its /metrics scraped every 10 s, its
  /healthz polled every 2 s.
- After SIGTERM and its exit, the verdict (:mod:`.verdict`) from the store, the targets' logs and
  the samples: no crash, no result lost, every scripted outage measured and no other, memory
  flat. A summary is printed; the exit status is 1 if any of them failed.
"""
