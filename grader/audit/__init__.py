"""`grade audit`: how strong an exercise's checks are, measured on mutants of its reference solution (mutate,
equivalence, run, report), and whether each hint fired only on the mistake it names."""
