"""Notebooks: reading submissions, building the exercise notebooks, the nbgrader export and grading, Jupyter's check()."""
