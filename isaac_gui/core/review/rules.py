"""The rules that propose a verdict (pass, hold or fail) from a photo's detections.

A rule set is a readable TOML file, edited in Settings and passed to `isaac-gui run --rules`:

    [verdicts]
    no_detection = "pass"   # a photo without any detection
    error = "hold"          # a photo the model could not answer for
    otherwise = "pass"      # detections that break no rule

    [[rule]]
    class = "crack"
    any = true              # one is enough
    verdict = "fail"

    [[rule]]
    class = "scratch"
    count_over = 2          # more than 2
    verdict = "fail"

    [[rule]]
    class = "scratch"
    area_over_percent = 5   # one box larger than 5% of the photo
    verdict = "fail"

Every rule is checked; the most severe verdict any of them gives wins (fail over hold), with the
reasons of the rules that gave it. Class names match case- and whitespace-insensitively, as the
run's classes do. The file is written by a small writer of this one shape (no TOML library is
needed for it), and read back with `tomllib`.
"""

from __future__ import annotations

import hashlib
import math
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, cast

from isaac_gui.core.files import write_atomic
from isaac_gui.core.geometry import PixelBox, boxes_of
from isaac_gui.core.settings import config_dir

Verdict = Literal["pass", "hold", "fail"]
RuleVerdict = Literal["hold", "fail"]
VERDICTS: tuple[Verdict, ...] = ("pass", "hold", "fail")  # in rising severity
_SEVERITY = {verdict: rank for rank, verdict in enumerate(VERDICTS)}


def class_key(name: str) -> str:
    """The form two class names are compared in: " Missing  Screw" and "missing screw" are one class."""
    return " ".join(name.split()).casefold()


@dataclass(frozen=True, slots=True)
class AnyRule:
    """Any box of the class gives the verdict."""

    cls: str
    verdict: RuleVerdict = "fail"


@dataclass(frozen=True, slots=True)
class CountRule:
    """More than `more_than` boxes of the class give the verdict."""

    cls: str
    more_than: int
    verdict: RuleVerdict = "fail"


@dataclass(frozen=True, slots=True)
class AreaRule:
    """A box of the class covering more than `percent` % of the photo gives the verdict."""

    cls: str
    percent: float
    verdict: RuleVerdict = "fail"


Rule = AnyRule | CountRule | AreaRule


@dataclass(frozen=True, slots=True)
class RuleSet:
    rules: tuple[Rule, ...] = ()
    no_detection: Verdict = "pass"
    on_error: Verdict = "hold"
    otherwise: Verdict = "pass"
    # The file the rules were read from (None: built in); not part of what the rules are.
    source: str | None = field(default=None, compare=False)


DEFAULT_RULES = RuleSet(
    rules=(
        AnyRule("crack", verdict="fail"),
        CountRule("scratch", more_than=2, verdict="fail"),
        AreaRule("scratch", percent=5, verdict="fail"),
    )
)


@dataclass(frozen=True, slots=True)
class Proposal:
    """The verdict the rules propose and why, in words an inspector reads."""

    verdict: Verdict
    reasons: tuple[str, ...]


def _percent(value: float) -> str:
    return f"{value:g}"


def _broken(rule: Rule, boxes: Sequence[PixelBox], area: int | None) -> str | None:
    """Why `rule` applies to the class's `boxes`, or None when it does not."""
    if isinstance(rule, AnyRule):
        return f"{len(boxes)} × {rule.cls}: any {rule.verdict}s" if boxes else None
    if isinstance(rule, CountRule):
        return (
            f"{len(boxes)} × {rule.cls} > {rule.more_than} allowed" if len(boxes) > rule.more_than else None
        )
    assert area is not None
    largest = max(((b.width + 1) * (b.height + 1) for b in boxes), default=0)
    share = 100 * largest / area
    if share <= rule.percent:
        return None
    return f"a {rule.cls} covers {share:.1f}% of the photo > {_percent(rule.percent)}% allowed"


def _size(record: Mapping[str, Any]) -> int | None:
    width, height = record.get("width"), record.get("height")
    if isinstance(width, int) and isinstance(height, int) and width > 0 and height > 0:
        return width * height
    return None


def evaluate(rules: RuleSet, record: Mapping[str, Any]) -> Proposal:
    """The verdict the rules propose for a result record (its `status`, `detections`, size)."""
    if record.get("status") != "ok":
        error = record.get("error")
        kind = error.get("kind") if isinstance(error, Mapping) else None
        return Proposal(rules.on_error, (f"error: {kind or 'unknown'}",))
    boxes = boxes_of(record)
    if not boxes:
        return Proposal(rules.no_detection, ("no detection",))
    area = _size(record)
    if area is None and any(isinstance(rule, AreaRule) for rule in rules.rules):
        return Proposal(rules.on_error, ("error: the photo's size is unknown",))
    by_class: dict[str, list[PixelBox]] = {}
    for each in boxes:
        by_class.setdefault(class_key(each.mention), []).append(each)
    verdict: Verdict = rules.otherwise
    reasons: list[str] = []
    for rule in rules.rules:
        reason = _broken(rule, by_class.get(class_key(rule.cls), []), area)
        if reason is None or _SEVERITY[rule.verdict] < _SEVERITY[verdict]:
            continue
        if _SEVERITY[rule.verdict] > _SEVERITY[verdict] or not reasons:
            verdict, reasons = rule.verdict, []
        reasons.append(reason)
    if not reasons:
        count = len(boxes)
        reasons.append(f"{count} detection{'s' if count != 1 else ''}, no rule broken")
    return Proposal(verdict, tuple(reasons))


# -- the file ---------------------------------------------------------------------------------


class RulesError(ValueError):
    """A rules file that cannot be used; the message names the file, the line and the problem."""


_HEADER = """\
# Verdict rules for isaac-gui (Review). Every [[rule]] is checked; the most severe verdict wins.
# A rule has a class, one condition (any = true, count_over = N or area_over_percent = X) and
# a verdict ("fail" or "hold"). Class names match case-insensitively.
"""

_VERDICT_KEYS = {"no_detection": "no_detection", "error": "on_error", "otherwise": "otherwise"}
_CONDITIONS = ("any", "count_over", "area_over_percent")
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def _string(text: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped."""
    out = []
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def dumps_rules(rules: RuleSet) -> str:
    lines = [_HEADER, "[verdicts]"]
    for key, attr in _VERDICT_KEYS.items():
        lines.append(f"{key} = {_string(getattr(rules, attr))}")
    for rule in rules.rules:
        lines += ["", "[[rule]]", f"class = {_string(rule.cls)}"]
        if isinstance(rule, AnyRule):
            lines.append("any = true")
        elif isinstance(rule, CountRule):
            lines.append(f"count_over = {rule.more_than}")
        else:
            lines.append(f"area_over_percent = {_number(rule.percent)}")
        lines.append(f"verdict = {_string(rule.verdict)}")
    return "\n".join(lines) + "\n"


def save_rules(rules: RuleSet, path: Path) -> None:
    write_atomic(path, dumps_rules(rules))


_TABLE = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]")
_ARRAY_TABLE = re.compile(r"^\s*\[\[\s*([^\[\]]+?)\s*\]\]")
_KEY = re.compile(r'^\s*("?)([A-Za-z0-9_-]+)\1\s*=')


def _locations(text: str) -> dict[tuple[str, int, str], int]:
    """Where things are: (table, rule number or 0, key or "") -> 1-based line. Enough for this
    file's flat shape; a place not found is reported without a line."""
    where: dict[tuple[str, int, str], int] = {}
    table, number = "", 0
    for lineno, line in enumerate(text.splitlines(), 1):
        if match := _ARRAY_TABLE.match(line):
            table = match.group(1)
            number = number + 1 if table == "rule" else 0
            where.setdefault((table, number, ""), lineno)
        elif match := _TABLE.match(line):
            table, number = match.group(1), 0
            where.setdefault((table, 0, ""), lineno)
        elif match := _KEY.match(line):
            where.setdefault((table, number, match.group(2)), lineno)
    return where


class _Reader:
    def __init__(self, source: str, text: str) -> None:
        self.source = source
        self.where = _locations(text)

    def fail(self, problem: str, table: str = "", number: int = 0, key: str = "") -> RulesError:
        line = self.where.get((table, number, key)) or self.where.get((table, number, ""))
        at = f" line {line}:" if line else ""
        return RulesError(f"{self.source}:{at} {problem}")

    def verdict(self, data: Mapping[str, Any]) -> dict[str, Verdict]:
        found: dict[str, Verdict] = {}
        for key, value in data.items():
            if key not in _VERDICT_KEYS:
                raise self.fail(
                    f"unknown key `verdicts.{key}` (known: {', '.join(_VERDICT_KEYS)})", "verdicts", 0, key
                )
            if value not in VERDICTS:
                raise self.fail(
                    f'`verdicts.{key}` must be "pass", "hold" or "fail", not {value!r}', "verdicts", 0, key
                )
            found[_VERDICT_KEYS[key]] = cast(Verdict, value)
        return found

    def rule(self, data: Any, number: int) -> Rule:
        def fail(problem: str, key: str = "") -> RulesError:
            return self.fail(f"rule {number}: {problem}", "rule", number, key)

        if not isinstance(data, dict):
            raise fail("must be a [[rule]] table")
        for key in data:
            if key not in ("class", "verdict", *_CONDITIONS):
                raise fail(f"unknown key `{key}` (known: class, verdict, {', '.join(_CONDITIONS)})", key)
        if "class" not in data:
            raise fail("`class` is missing")
        cls = data["class"]
        if not isinstance(cls, str) or not cls.strip():
            raise fail("`class` must be a non-empty string", "class")
        verdict = data.get("verdict", "fail")
        if verdict not in ("fail", "hold"):
            raise fail(f'`verdict` must be "fail" or "hold", not {verdict!r}', "verdict")
        conditions = [key for key in _CONDITIONS if key in data]
        if not conditions:
            raise fail(f"needs one of {', '.join(_CONDITIONS)}")
        if len(conditions) > 1:
            raise fail(f"only one of {', '.join(conditions)} per rule (write two rules)", conditions[1])
        condition, value = conditions[0], data[conditions[0]]
        if condition == "any":
            if value is not True:
                raise fail("`any` must be true (leave the rule out to allow the class)", "any")
            return AnyRule(cls, verdict)
        if condition == "count_over":
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise fail(f"`count_over` must be a whole number >= 0, not {value!r}", "count_over")
            return CountRule(cls, value, verdict)
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or not 0 <= value < 100
        ):
            raise fail(f"`area_over_percent` must be between 0 and 100, not {value!r}", "area_over_percent")
        return AreaRule(cls, float(value) if isinstance(value, float) else value, verdict)


def loads_rules(text: str, source: str = "<rules>") -> RuleSet:
    """The rule set in `text`; RulesError naming `source`, the line and the problem otherwise."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"{source}: not valid TOML: {exc}") from None
    reader = _Reader(source, text)
    for key, value in data.items():
        if key not in ("verdicts", "rule"):
            kind = "table" if isinstance(value, dict) else "key"
            raise reader.fail(f"unknown {kind} `{key}` (known: [verdicts], [[rule]])", key, 0, "")
    verdicts = data.get("verdicts", {})
    if not isinstance(verdicts, dict):
        raise reader.fail("`verdicts` must be a [verdicts] table", "", 0, "verdicts")
    raw_rules = data.get("rule", [])
    if not isinstance(raw_rules, list):
        raise reader.fail("`rule` must be a list of [[rule]] tables", "", 0, "rule")
    rules = tuple(reader.rule(each, number) for number, each in enumerate(raw_rules, 1))
    return RuleSet(rules=rules, **reader.verdict(verdicts))


def load_rules(path: Path) -> RuleSet:
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise RulesError(f"{path}: cannot read the rules file: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RulesError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    return replace(loads_rules(text, str(path)), source=str(path))


RULES_FILE_NAME = "rules.toml"


def default_rules_path() -> Path:
    return config_dir() / RULES_FILE_NAME


def load_rules_file(path: str | Path | None) -> RuleSet:
    """The rules in force: those of `path` when one is named (RulesError when it is missing or
    wrong), else those of the default file `config_dir()/rules.toml`, else DEFAULT_RULES."""
    if path:
        return load_rules(Path(path))
    default = default_rules_path()
    if not default.exists():
        return DEFAULT_RULES
    return load_rules(default)


def rules_identity(rules: RuleSet) -> dict[str, str | None]:
    """What names a rule set in summary.json: its file (None: built in) and the SHA-256 of the rules as
    `dumps_rules` writes them, so the same rules have the same hash whatever the file's comments."""
    digest = hashlib.sha256(dumps_rules(rules).encode("utf-8", "surrogatepass")).hexdigest()
    return {"file": rules.source, "sha256": digest}
