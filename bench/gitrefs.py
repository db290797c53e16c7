"""Git helpers the benchmarks share: a commit's label and a temporary checkout of it."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def git(*args: str, cwd: Path = ROOT) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


def commit_label(ref: str) -> str:
    return git("log", "-1", "--format=%h (%cs) %s", ref)


@contextmanager
def worktree(ref: str, directory: Path) -> Iterator[Path]:
    """`ref` checked out (detached) into `directory`, removed again afterwards."""
    git("worktree", "add", "--detach", str(directory), ref)
    try:
        yield directory
    finally:
        subprocess.run(
            ["git", "worktree", "remove", "--force", str(directory)], cwd=ROOT, check=False
        )
