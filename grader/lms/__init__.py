"""The instructor's LMS round trip: reading Canvas's and Moodle's submission downloads by their file names,
the late policy's arithmetic, and writing the gradebook files each LMS imports (docs/lms.md)."""
