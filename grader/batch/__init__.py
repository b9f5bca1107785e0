"""Instructor batch grading: collect submissions, grade them in parallel, keep a gradebook."""
