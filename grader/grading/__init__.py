"""Grading one submission: the engine orchestrates; check_files reads a check file once, check_runner calls its
checks with the grader's fixtures, judge turns how each ended into its verdict; the proxy is the checks' view of
the submission; checklib, lab_calls and keras_models are what `grader.authoring` offers check authors; plugin
lets authors run the same checks under pytest itself."""
