"""The real-derived corpus: writers' part files split by source into train / dev / test. Pure file handling.

Each writer wrote a test part first (`*_test.jsonl`), then a train part (`*_train.jsonl`). The test split is every
test part; a train-part line whose source also appears in the test split is dropped, and so is one whose source is
a file in a repository that gives a test line a file source, so test sources are disjoint from the rest; the
remaining sources go to dev or train by a stable hash of the source.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path
from typing import Any

DEV_SHARE = 0.25
MAX_PER_SOURCE = 5


def source_key(source: str) -> str:
    """One key per source however it is spelled: case, trailing slash, scheme, a GitHub URL or owner/repo#N."""
    key = source.strip().lower().rstrip("/")
    for prefix in ("https://", "http://", "www."):
        key = key.removeprefix(prefix)
    if key.startswith("github.com/"):
        parts = key.removeprefix("github.com/").split("/")
        if len(parts) >= 4 and parts[2] in ("issues", "pull", "discussions"):
            key = f"{parts[0]}/{parts[1]}#{parts[3]}"
    return key


def file_repo(source: str) -> str | None:
    """The repository of a source that names a file in one (owner/repo:path, or a raw.githubusercontent.com URL),
    else None. Two files of one repository can hold one passage (a translated README, the next version's card)."""
    key = source_key(source)
    if key.startswith("raw.githubusercontent.com/"):
        return "/".join(key.split("/")[1:3])
    head, sep, _ = key.partition(":")
    owner, slash, repo = head.partition("/")
    return head if sep and slash and repo and "/" not in repo and "." not in owner and "#" not in key else None


# hosts where one site holds many independent writers: the home is the writer's part of the site (a subreddit, an
# author, a Hugging Face repo), given as how many path segments name it
_SHARED_HOSTS = {"reddit.com": 2, "old.reddit.com": 2, "huggingface.co": 2, "medium.com": 1, "dev.to": 1, "x.com": 1,
                 "twitter.com": 1, "linkedin.com": 2, "bsky.app": 2, "mastodon.social": 1, "threads.net": 1}
# hosts where every page is its own writer's (a thread, a paper): the home is the page
_PAGE_HOSTS = {"news.ycombinator.com", "stackoverflow.com", "arxiv.org", "lobste.rs", "youtube.com",
               "discuss.huggingface.co", "community.openai.com"}


def home(source: str) -> str:
    """Where a source lives: its GitHub repository (owner/repo, for an issue, a pull request or a file), its
    Hugging Face repo, a writer's part of a shared site, the page on a site of independent threads, or the site.
    Lines from one home share their writers' words (project names, house phrases), so the classifier only learns
    words that several homes use."""
    repo = file_repo(source)
    if repo is not None:
        return repo
    key = source_key(source)
    head, thread, _ = key.partition("#")
    if thread and head.count("/") == 1 and "." not in head.split("/")[0]:
        return head
    host, _, path = key.partition("/")
    parts = [p for p in path.split("/") if p]
    if host == "github.com" and len(parts) >= 2:
        return f"{parts[0]}/{parts[1]}"
    if host in _SHARED_HOSTS:
        return "/".join([host, *parts[:_SHARED_HOSTS[host]]])
    if host in _PAGE_HOSTS:
        return key
    return host


def in_dev(source: str, share: float = DEV_SHARE) -> bool:
    digest = hashlib.sha256(source_key(source).encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") / 2**32 < share


def dev_fold(source: str, folds: int) -> int:
    """Which of `folds` parts of the dev split a source's lines fall in (a stable hash, apart from `in_dev`'s)."""
    digest = hashlib.sha256(source_key(source).encode("utf-8")).digest()
    return int.from_bytes(digest[4:8], "big") % folds


def _read(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def split_parts(parts_dir: Path) -> dict[str, list[dict[str, Any]]]:
    """{"train": [...], "dev": [...], "test": [...]} from the part files in `parts_dir`, texts de-duplicated."""
    split: dict[str, list[dict[str, Any]]] = {"train": [], "dev": [], "test": []}
    used: Counter[str] = Counter()
    seen: set[str] = set()

    def take(row: dict[str, Any]) -> bool:
        """At most MAX_PER_SOURCE lines a source (writers in parallel may meet the same page), each text once."""
        key, text = source_key(row["source"]), row["text"].strip().lower()
        if used[key] >= MAX_PER_SOURCE or text in seen:
            return False
        used[key] += 1
        seen.add(text)
        return True

    split["test"] = [row for path in sorted(parts_dir.glob("*_test.jsonl")) for row in _read(path) if take(row)]
    test_sources = {source_key(r["source"]) for r in split["test"]}
    test_repos = {file_repo(r["source"]) for r in split["test"]} - {None}
    for path in sorted(parts_dir.glob("*_train.jsonl")):
        for row in _read(path):
            if (source_key(row["source"]) not in test_sources and file_repo(row["source"]) not in test_repos
                    and take(row)):
                split["dev" if in_dev(row["source"]) else "train"].append(row)
    return split


def write_split(split: dict[str, list[dict[str, Any]]], out_dir: Path) -> dict[str, int]:
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, rows in split.items():
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
        (out_dir / f"{name}.jsonl").write_text(text, encoding="utf-8")
    return {name: len(rows) for name, rows in split.items()}
