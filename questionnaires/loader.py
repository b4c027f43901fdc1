"""Load questionnaire files, hash their content, find versions, refuse edits to published ones."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from questionnaires import rules
from questionnaires.parsing import YamlSyntaxError, parse_questionnaire, read_yaml
from questionnaires.problems import InvalidQuestionnaireError, Problem
from questionnaires.schema import Questionnaire

BANK_DIR = Path(__file__).resolve().parent / "bank"
FILE_PATTERNS = ("*.yaml", "*.yml")


@dataclass(frozen=True, slots=True)
class LoadedQuestionnaire:
    """A parsed questionnaire with the hash of its content and the file it came from."""

    questionnaire: Questionnaire
    content_hash: str
    path: Path

    @property
    def key(self) -> str:
        """The questionnaire key, e.g. business-sense."""
        return self.questionnaire.key

    @property
    def version(self) -> int:
        """The questionnaire version."""
        return self.questionnaire.version


class QuestionnaireNotFoundError(LookupError):
    """No questionnaire (or no such version of it) in the bank."""


class PublishedVersionChangedError(ValueError):
    """A published questionnaire version was edited instead of getting a new version."""


def content_hash(questionnaire: Questionnaire) -> str:
    """Return the sha256 of the canonical JSON of the model (comments and layout do not count)."""
    data = questionnaire.model_dump(mode="json", exclude_defaults=True)
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def questionnaire_files(paths: Iterable[str | Path]) -> list[Path]:
    """Expand directories into their YAML files (sorted); keep file paths as given."""
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found = {file for pattern in FILE_PATTERNS for file in path.glob(pattern)}
            files.extend(sorted(found))
        else:
            files.append(path)
    return files


def read_file(path: str | Path) -> tuple[Questionnaire | None, list[Problem]]:
    """Parse one file into the model, or return its yaml-syntax / schema problems."""
    file = str(path)
    try:
        data = read_yaml(Path(path))
    except YamlSyntaxError as error:
        return None, [Problem(file, None, "yaml-syntax", str(error))]
    except OSError as error:
        return None, [Problem(file, None, "file-read", error.strerror or str(error))]
    return parse_questionnaire(file, data)


def collect(paths: Iterable[str | Path]) -> tuple[list[LoadedQuestionnaire], list[Problem]]:
    """Load every questionnaire file under ``paths`` and return them with all their problems."""
    folders = [Path(path) for path in paths]
    loaded: list[LoadedQuestionnaire] = []
    problems: list[Problem] = [
        Problem(str(path), None, "file-read", "no questionnaire files (*.yaml) here")
        for path in folders
        if path.is_dir() and not questionnaire_files([path])
    ]
    files = questionnaire_files(folders)
    for path in files:
        questionnaire, found = read_file(path)
        problems.extend(found)
        if questionnaire is not None:
            loaded.append(LoadedQuestionnaire(questionnaire, content_hash(questionnaire), path))
    problems.extend(rules.check([(str(item.path), item.questionnaire) for item in loaded]))
    order = {str(path): index for index, path in enumerate(files)}
    return loaded, sorted(problems, key=lambda problem: order.get(problem.file, -1))


def load_file(path: str | Path) -> LoadedQuestionnaire:
    """Load and check one questionnaire file; raise InvalidQuestionnaireError on any problem."""
    loaded, problems = collect([path])
    problems = [problem for problem in problems if not problem.legacy]
    if problems or not loaded:
        raise InvalidQuestionnaireError(problems)
    return loaded[0]


def load_bank(
    directory: str | Path = BANK_DIR, *, delivery_rules: bool = True
) -> list[LoadedQuestionnaire]:
    """Load and check every file of the bank, sorted by key and version; raise on any problem.

    Legacy problems (a v1 file breaking a delivery rule of bank v2) do not stop the load: a
    published version is served as it was published. ``delivery_rules=False`` lets the
    load tests publish a copy of the bank with compressed time limits (never the bank).
    """
    loaded, problems = collect([directory])
    problems = [problem for problem in problems if not problem.legacy
                and (delivery_rules or (problem.rule not in rules.DELIVERY_RULES
                     and problem.rule != "battery-time"))]
    if problems:
        raise InvalidQuestionnaireError(problems)
    return sorted(loaded, key=lambda item: (item.key, item.version))


def latest_versions(bank: Iterable[LoadedQuestionnaire]) -> list[LoadedQuestionnaire]:
    """Return the latest version of every questionnaire, sorted by key."""
    latest: dict[str, LoadedQuestionnaire] = {}
    for item in bank:
        if item.key not in latest or item.version > latest[item.key].version:
            latest[item.key] = item
    return [latest[key] for key in sorted(latest)]


def find_latest(bank: Iterable[LoadedQuestionnaire], key: str) -> LoadedQuestionnaire:
    """Return the latest version of questionnaire ``key``."""
    for item in latest_versions(bank):
        if item.key == key:
            return item
    raise QuestionnaireNotFoundError(f"no questionnaire {key!r} in the bank")


def find_version(
    bank: Iterable[LoadedQuestionnaire], key: str, version: int
) -> LoadedQuestionnaire:
    """Return version ``version`` of questionnaire ``key``."""
    for item in bank:
        if item.key == key and item.version == version:
            return item
    raise QuestionnaireNotFoundError(f"no questionnaire {key!r} version {version} in the bank")


def check_published(
    loaded: LoadedQuestionnaire, published_hashes: Mapping[tuple[str, int], str]
) -> None:
    """Raise PublishedVersionChangedError if (key, version) was published with other content."""
    published = published_hashes.get((loaded.key, loaded.version))
    if published is None or published == loaded.content_hash:
        return
    versions = [version for key, version in published_hashes if key == loaded.key]
    next_version = max([loaded.version, *versions]) + 1
    raise PublishedVersionChangedError(
        f"questionnaire {loaded.key} v{loaded.version} is already published with different "
        f"content (hash {published[:12]}…, {loaded.path.name} has {loaded.content_hash[:12]}…); "
        f"bump the version to {next_version} instead of editing a published file"
    )
