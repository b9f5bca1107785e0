"""Canvas's "Download Submissions" names, read back into who handed in what.

Canvas writes each uploaded file as `<name>[_LATE]_<user id>_<file id>_<original name>` (Canvas LMS source,
lib/content_zipper.rb: `get_filename` joins the student's sortable name, `LATE` when `submission.late?`, and the
user id, or `anon_<anonymous id>` for anonymous grading, with `_`; `add_upload_submission` appends the
attachment's id and its display name). The name part is the sortable name lowercased with every non-word
character removed and every `_<digits>_` collapsed (`sanitize_user_name`), so it can never hold `LATE` or an id
of its own. A file uploaded again under the same name gets `-1`, `-2` before its extension (Canvas's
`make_unique_filename`), and a later upload always gets a larger file id.

The prefix is Canvas's and is read from the left; the original name, which the student chose, is never read
for an id or for lateness, so a file named like another student's download cannot claim that student.
"""

from __future__ import annotations

import re

from grader.lms.identity import MAX_LMS_ID_CHARS, LmsName

_NAME = re.compile(r"(?:(?P<name>\w+?)_)??(?:(?P<late>LATE)_)?(?P<id>\d{1,20}|anon_[A-Za-z0-9]{1,30})_(?P<file>\d{1,20})_"
                   r"(?P<original>.+)", re.DOTALL)
_RESUBMITTED = re.compile(r"-(\d{1,4})(?=\.[^.]*$|$)")


def parse(name: str, is_dir: bool = False) -> LmsName | None:
    """The Canvas reading of a top-level file name; None when it is not one of Canvas's (Canvas writes no folders)."""
    match = None if is_dir else _NAME.fullmatch(name)
    if match is None or (match["name"] or "") != (match["name"] or "").lower() or len(match["id"]) > MAX_LMS_ID_CHARS:
        return None
    return LmsName("canvas", match["id"], match["name"] or "", bool(match["late"]), int(match["file"]),
                   _RESUBMITTED.sub("", match["original"], count=1))
