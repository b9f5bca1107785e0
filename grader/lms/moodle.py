"""Moodle's "Download all submissions" names, read back into who handed in what.

Moodle (mod/assign/locallib.php, `download_submissions`) prefixes every student's files with
`clean_filename(<full name, its `_` made spaces> _ <participant id>)` and then `_assignsubmission_<plugin>_`: with
"Download submissions in folders" (the default since Moodle 3.1) that is a folder holding the student's files, else
it is each file's name prefix. Blind marking writes "Participant" for the name. The participant id is the
assignment's own number for the student (not the user id), and the download records no submission time.

The prefix is Moodle's and is read from the left: a file name the student chose never gives an id.
"""

from __future__ import annotations

import re

from grader.lms.identity import MAX_LMS_ID_CHARS, LmsName

_FOLDER = re.compile(r"(?P<name>[^_]*)_(?P<id>\d{1,20})_assignsubmission_(?P<plugin>[a-z]{1,40})_?", re.DOTALL)
_FILE = re.compile(r"(?P<name>[^_]*)_(?P<id>\d{1,20})_assignsubmission_(?P<plugin>[a-z]{1,40})_(?P<original>.+)",
                   re.DOTALL)
SUBMITTED_FILES = "file"   # the plugin whose entries are the student's files (`onlinetext` is typed-in text)


def parse(name: str, is_dir: bool = False) -> LmsName | None:
    """The Moodle reading of a top-level folder or file name, or None. `name` is the entry's own name."""
    match = (_FOLDER if is_dir else _FILE).fullmatch(name)
    if match is None or len(match["id"]) > MAX_LMS_ID_CHARS:
        return None
    return LmsName("moodle", match["id"], " ".join(match["name"].split()), None, 0,
                   "" if is_dir else match["original"])


def plugin_of(name: str, is_dir: bool = False) -> str:
    match = (_FOLDER if is_dir else _FILE).fullmatch(name)
    return match["plugin"] if match else ""
