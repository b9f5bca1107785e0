"""Views of feedback: the terminal table, CSV, Gradescope results, the HTML report."""
