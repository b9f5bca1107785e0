"""The course: course.yaml read and checked against its schema (manifest), and the typed model it becomes."""
