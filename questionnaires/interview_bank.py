"""The structured interview bank (questionnaires/interview/): follow-up questions per competency
and per test-taking flag, in Italian and English, with what a good and a weak answer sound like.

One file per competency (``<competency-key with dashes>.yaml``), ``flags.yaml`` and
``guide.yaml``. The schema is strict (unknown fields are errors, both languages required), and
:func:`load_interview_bank` reports every problem at once, each naming the file, the question
and the rule, like the questionnaire validator.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, ValidationError, field_validator, model_validator

from questionnaires.parsing import YamlSyntaxError, read_yaml
from questionnaires.problems import InvalidQuestionnaireError, Problem
from questionnaires.schema import Model

INTERVIEW_DIR = Path(__file__).resolve().parent / "interview"
GUIDE_FILE, FLAGS_FILE = "guide.yaml", "flags.yaml"

Sentence = Annotated[str, StringConstraints(strict=True, strip_whitespace=True, min_length=2)]
Key = Annotated[str, StringConstraints(strict=True, pattern=r"^[a-z][a-z_]*$")]


class Both(Model):
    """A text written in Italian and in English (neither may be missing)."""

    it: Sentence
    en: Sentence

    def pick(self, language: str) -> str:
        """The text in ``language`` (Italian for ``it``, English otherwise)."""
        return self.it if language == "it" else self.en


class InterviewQuestion(Model):
    """A structured question with probes and behaviourally anchored answers (1, 3, 5)."""

    id: Annotated[str, StringConstraints(strict=True, pattern=r"^iv-[a-z]{2}-\d{2}$")]
    kind: Literal["behavioural", "situational"]
    question: Both
    probes: tuple[Both, ...] = Field(min_length=1)
    anchors: dict[Literal[1, 2, 3, 4, 5], Both]
    good_signs: tuple[Both, ...] = Field(min_length=1)
    warning_signs: tuple[Both, ...] = Field(min_length=1)

    @field_validator("anchors")
    @classmethod
    def _one_three_five(cls, anchors: dict[int, Both]) -> dict[int, Both]:
        missing = [level for level in (1, 3, 5) if level not in anchors]
        if missing:
            raise ValueError(f"anchors 1, 3 and 5 are required; missing {missing}")
        return anchors

    @property
    def good_answer(self) -> Both:
        """What a strong answer sounds like (the top anchor)."""
        return self.anchors[5]

    @property
    def weak_answer(self) -> Both:
        """What a weak answer sounds like (the bottom anchor)."""
        return self.anchors[1]


class CompetencyQuestions(Model):
    """The questions of one competency."""

    competency: Key
    title: Both
    what_it_covers: Both
    guidance: Both | None = None
    questions: tuple[InterviewQuestion, ...] = Field(min_length=3)

    @model_validator(mode="after")
    def _unique_ids(self) -> CompetencyQuestions:
        ids = [q.id for q in self.questions]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"question ids repeated: {', '.join(repeated)}")
        return self


class FollowUp(Model):
    """A neutral question about a flag, with a reassuring and a worrying answer."""

    question: Both
    reassuring: Both
    worrying: Both


class FlagQuestions(Model):
    """What one test-taking flag means and how to ask about it."""

    flag: Key
    aliases: tuple[Key, ...] = ()
    title: Both
    what_it_means: Both
    follow_ups: tuple[FollowUp, ...] = Field(min_length=2)


class FlagsFile(Model):
    """``flags.yaml``: a note for the interviewer and the flags."""

    note: Both
    flags: tuple[FlagQuestions, ...] = Field(min_length=1)


class GuideFile(Model):
    """``guide.yaml``: how to run the interview."""

    title: Both
    guide: Both


class InterviewBank(Model):
    """The whole bank, by competency key and by flag code (aliases included)."""

    guide: GuideFile
    note: Both
    competencies: dict[str, CompetencyQuestions]
    flags: dict[str, FlagQuestions]

    def for_competency(self, key: str) -> CompetencyQuestions | None:
        """The questions of a competency, if the bank has them."""
        return self.competencies.get(key)

    def for_flag(self, code: str) -> FlagQuestions | None:
        """The follow-ups of a flag code (or one of its aliases), if the bank has them."""
        return self.flags.get(code)


def _file_of(key: str) -> str:
    return key.replace("_", "-") + ".yaml"


def _problems(file: str, error: ValidationError, data: Any) -> list[Problem]:
    problems = []
    for entry in error.errors():
        loc = list(entry["loc"])
        item = None
        if len(loc) >= 2 and loc[0] in ("questions", "flags") and isinstance(loc[1], int):
            rows = data.get(loc[0]) if isinstance(data, dict) else None
            row = rows[loc[1]] if isinstance(rows, list) and loc[1] < len(rows) else None
            if isinstance(row, dict):
                item = str(row.get("id") or row.get("flag") or loc[1])
        where = ".".join(str(part) for part in loc)
        problems.append(Problem(file, item, "schema", f"{where}: {entry['msg']}"))
    return problems


def _read(path: Path, model: type[Model]) -> tuple[Any, list[Problem]]:
    try:
        data = read_yaml(path)
    except YamlSyntaxError as error:
        return None, [Problem(str(path), None, "yaml-syntax", str(error))]
    except OSError as error:
        return None, [Problem(str(path), None, "file-read", error.strerror or str(error))]
    try:
        return model.model_validate(data), []
    except ValidationError as error:
        return None, _problems(str(path), error, data)


def collect_interview_bank(
    directory: str | Path = INTERVIEW_DIR,
) -> tuple[InterviewBank | None, list[Problem]]:
    """Read and check every file of the bank; the bank, or None, and all its problems."""
    directory = Path(directory)
    problems: list[Problem] = []
    guide, found = _read(directory / GUIDE_FILE, GuideFile)
    problems += found
    flags, found = _read(directory / FLAGS_FILE, FlagsFile)
    problems += found
    competencies: dict[str, CompetencyQuestions] = {}
    seen_ids: dict[str, str] = {}
    for path in sorted(directory.glob("*.yaml")):
        if path.name in (GUIDE_FILE, FLAGS_FILE):
            continue
        questions, found = _read(path, CompetencyQuestions)
        problems += found
        if questions is None:
            continue
        if path.name != _file_of(questions.competency):
            problems.append(Problem(str(path), None, "file-name",
                                    f"the file of {questions.competency!r} is "
                                    f"{_file_of(questions.competency)}"))
        for question in questions.questions:
            if question.id in seen_ids:
                problems.append(Problem(str(path), question.id, "unique-id",
                                        f"also in {seen_ids[question.id]}"))
            seen_ids[question.id] = path.name
        competencies[questions.competency] = questions
    by_code: dict[str, FlagQuestions] = {}
    for entry in flags.flags if flags is not None else ():
        for code in (entry.flag, *entry.aliases):
            if code in by_code:
                problems.append(Problem(str(directory / FLAGS_FILE), entry.flag, "unique-flag",
                                        f"{code!r} is listed twice"))
            by_code[code] = entry
    if problems or guide is None or flags is None:
        return None, problems
    return InterviewBank(guide=guide, note=flags.note, competencies=competencies,
                         flags=by_code), []


@lru_cache
def load_interview_bank(directory: str | Path = INTERVIEW_DIR) -> InterviewBank:
    """The checked interview bank; raise InvalidQuestionnaireError naming every problem."""
    bank, problems = collect_interview_bank(directory)
    if bank is None:
        raise InvalidQuestionnaireError(problems)
    return bank


def placeholders(text: str) -> list[str]:
    """The ``[...]`` parts of a question the interviewer fills in from the report."""
    return re.findall(r"\[([^\]]+)\]", text)
