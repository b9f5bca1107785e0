"""Grading on submit (`grade serve`): the batch runner behind a durable, fair queue, with an HTTP front door.

One job per module: `schema` (tables and migrations), `database` (engines for SQLite and PostgreSQL), `blobs`
(the content-addressed store of handed-in bytes), `tokens` and `accounts` (students and their hashed tokens),
`roster` (the instructor's roster import), `queue` (accept, claim fairly, finish, requeue), `records` (what a
student may read), `worker` (the grading loop and the graders it drives), and the web layer (`app`, `api`,
`web`, `guards`, `protocol`) imported only when the service starts.
"""
