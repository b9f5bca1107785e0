"""Which submissions of a batch look copied, found offline (no code leaves the machine).

One job per module, in the order the data flows:
  sources    a submission (.py or notebook code cells), the code every student was given and the
             exercise's correct solutions, as text
  normalise  text -> its structure (no comments, docstrings, layout or author's names) and its code as written
  fingerprint tokens -> winnowed K-gram hashes, with the given code masked
  dictated   given code and correct solutions -> what the exercise dictates, not counted as evidence
  compare    fingerprints of a batch -> an index -> the pairs above the threshold and their passages
  export     pairs -> OUT/similarity.csv;  report: pairs -> the section of OUT/report.html
  batch      OUT of `grade batch` -> documents -> the above
The command line (`grader.commands.similarity`) imports only this package's root at start-up; numpy and
scipy load when a comparison runs.
"""

DEFAULT_THRESHOLD = 0.45   # measured: benchmarks/similarity_distributions.py (`grade batch --help` says what)
