"""Solution regions: the stub generated from a reference marked as Otter and nbgrader authors mark theirs."""

import ast

import pytest

from grader.course.regions import RegionError, first_difference, has_regions, stub_from_reference

REFERENCE = '''"""Exercise 10: the mean squared error."""
# AUTHOR: a note for authors only
import numpy as np


def mse(y_true, y_pred):
    """The mean of the squared differences."""
    # BEGIN SOLUTION: compute the mean squared error
    difference = y_true - y_pred
    return np.mean(difference ** 2)
    # END SOLUTION


def rate():
    step = 0.1  # SOLUTION
    return step * 2  # SOLUTION


class Model:
    def fit(self, X):
        for row in X:
            ### BEGIN SOLUTION
            self.seen = row
            ### END SOLUTION
        return self

# BEGIN SOLUTION NO PROMPT
HELPER = 3
# END SOLUTION
'''


def test_a_region_becomes_a_not_implemented_error_at_its_indentation():
    stub = stub_from_reference(REFERENCE)
    assert '    raise NotImplementedError("TODO: compute the mean squared error")' in stub.splitlines()
    assert "np.mean(difference" not in stub and "difference = " not in stub
    assert '            raise NotImplementedError("TODO: write this part")' in stub.splitlines()   # nbgrader's ###
    assert "        return self" in stub.splitlines()   # what follows a region stays


def test_solution_lines_keep_their_assignment_or_return_and_lose_the_value():
    lines = stub_from_reference(REFERENCE).splitlines()
    assert "    step = ..." in lines and "    return ..." in lines


def test_author_notes_and_no_prompt_regions_never_reach_the_stub():
    stub = stub_from_reference(REFERENCE)
    assert "AUTHOR" not in stub and "HELPER" not in stub and "SOLUTION" not in stub
    assert stub.startswith('"""Exercise 10: the mean squared error."""\nimport numpy as np\n')
    ast.parse(stub)


def test_a_reference_without_regions_has_none():
    assert has_regions(REFERENCE)
    assert not has_regions("def f(x):\n    return x  # the solution\n")


@pytest.mark.parametrize("source, says", [
    ("def f():\n    # BEGIN SOLUTION\n    return 1\n", "line 2: `# BEGIN SOLUTION` is never closed"),
    ("def f():\n    return 1\n    # END SOLUTION\n", "line 3: `# END SOLUTION` without a `# BEGIN SOLUTION`"),
    ("def f():\n    # BEGIN SOLUTION\n    # BEGIN SOLUTION\n    # END SOLUTION\n", "line 3: a `# BEGIN SOLUTION` inside"),
    ("# BEGIN SOLUTION\nX = 1\n# END SOLUTION\n", "line 1: a solution region at the top level"),
    ("def f(x):\n    print(x)  # SOLUTION\n", "line 2: `# SOLUTION` ends a line that is neither"),
    ("def f():\n    # BEGIN SOLUTION NO PROMPT\n    return 1\n    # END SOLUTION\n", "not valid Python"),
])
def test_regions_that_cannot_make_a_stub_say_where_and_what_to_do(source, says):
    with pytest.raises(RegionError) as caught:
        stub_from_reference(source, "solutions/10_x/x.py")
    assert says in str(caught.value) and "solutions/10_x/x.py" in str(caught.value)


def test_a_todo_with_quotes_stays_one_valid_string():
    stub = stub_from_reference('def f():\n    # BEGIN SOLUTION: return "yes"\n    return "yes"\n    # END SOLUTION\n')
    assert ast.literal_eval(stub.splitlines()[1].strip()[len("raise NotImplementedError("):-1]) == 'TODO: return "yes"'


def test_the_first_difference_names_its_line():
    assert first_difference("a\nb\n", "a\nb\n") is None
    difference = first_difference("a\nb\nc\n", "a\nB\nc\n")
    assert difference.line == 2 and "'b'" in str(difference) and "'B'" in str(difference)
