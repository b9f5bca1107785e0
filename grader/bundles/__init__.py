"""What is handed out: the student release and the Gradescope autograder bundle."""
