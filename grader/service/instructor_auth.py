"""The instructor's credentials: one token, apart from every student's, kept as its sha256 in the data folder.

A file (`instructor.sha256`, 0600, written atomically) rather than a table: the instructor is not a student, the
schema stays as it is, and `grade serve instructor --out FILE` rotates it by writing the file again (the old token
and every session made with it stop working). Compared in constant time, as the students' tokens are.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from grader.atomic import write_text_atomically
from grader.service.tokens import looks_like_token, same_hash, token_hash

HASH_FILE = "instructor.sha256"
PREFIX = "gi_"   # tells an instructor's token from a student's (gt_) at a glance


def issue(data_dir: Path) -> str:
    """A new instructor token (shown once); its hash replaces the old one's."""
    token = PREFIX + secrets.token_urlsafe(32)
    write_text_atomically(token_hash(token) + "\n", data_dir / HASH_FILE)   # 0600
    return token


def stored_hash(data_dir: Path) -> str | None:
    """The current token's sha256, or None when no instructor token was made."""
    try:
        text = (data_dir / HASH_FILE).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return text if len(text) == 64 and all(c in "0123456789abcdef" for c in text) else None


def is_instructor(data_dir: Path, token: str) -> bool:
    """Whether `token` is the instructor's current token."""
    return looks_like_token(token, PREFIX) and same_hash(stored_hash(data_dir), token)
