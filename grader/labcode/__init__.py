"""Lab code as students hand it in (notebooks, exported scripts, folders with helper modules), read in the
trusted process with `ast` only: what the graded functions need is kept, the rest is named and left out."""
