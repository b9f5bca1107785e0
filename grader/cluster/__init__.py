"""Grade a batch on a Dask cluster: the instructor's machine plans, sends work and writes every result.

address.py   which scheduler addresses are allowed, and the TLS settings (a cluster runs what clients send)
payload.py   what travels: the exercise's course files (once per worker) and each submission's bytes
worker.py    the worker's side: the course copy it caches, the task that grades one submission
dispatch.py  the instructor's side: a window of tasks, results checked as data, retries, lost workers
"""
