"""`grade new`'s scaffolding: a new exercise from a numpy or Keras template that validates at once (its files, its
course.yaml entry appended as text), and the stub written again from the reference's solution regions."""
