"""The verdict rules: every kind of rule, severity order, class matching, the file and its errors."""

from __future__ import annotations

import tomllib

import pytest

from isaac_gui.core.review.rules import (
    DEFAULT_RULES,
    AnyRule,
    AreaRule,
    CountRule,
    RulesError,
    RuleSet,
    default_rules_path,
    dumps_rules,
    evaluate,
    load_rules,
    load_rules_file,
    loads_rules,
    rules_identity,
    save_rules,
)


def box(mention: str, x1: int = 0, y1: int = 0, x2: int = 9, y2: int = 9) -> dict:
    return {"mention": mention, "top_left": {"x": x1, "y": y1}, "bottom_right": {"x": x2, "y": y2}}


def ok(*detections: dict, width: int = 1000, height: int = 1000) -> dict:
    return {"status": "ok", "width": width, "height": height, "detections": list(detections)}


def test_no_detection_passes_and_an_error_holds():
    assert evaluate(DEFAULT_RULES, ok()).verdict == "pass"
    assert evaluate(DEFAULT_RULES, ok()).reasons == ("no detection",)
    error = {"status": "error", "error": {"kind": "truncated", "message": "cut short"}}
    proposal = evaluate(DEFAULT_RULES, error)
    assert (proposal.verdict, proposal.reasons) == ("hold", ("error: truncated",))


def test_what_happens_with_no_detection_and_with_an_error_is_configurable():
    rules = RuleSet(rules=(), no_detection="hold", on_error="fail")
    assert evaluate(rules, ok()).verdict == "hold"
    assert evaluate(rules, {"status": "error", "error": {"kind": "gave_up"}}).verdict == "fail"


def test_any_of_a_class_fails():
    proposal = evaluate(DEFAULT_RULES, ok(box("crack")))
    assert proposal.verdict == "fail"
    assert proposal.reasons == ("1 × crack: any fails",)


def test_count_rule_applies_above_its_limit_only():
    rules = RuleSet(rules=(CountRule("scratch", more_than=2, verdict="fail"),))
    assert evaluate(rules, ok(box("scratch"), box("scratch"))).verdict == "pass"
    proposal = evaluate(rules, ok(box("scratch"), box("scratch"), box("scratch")))
    assert (proposal.verdict, proposal.reasons) == ("fail", ("3 × scratch > 2 allowed",))


def test_count_rule_can_hold():
    rules = RuleSet(rules=(CountRule("dent", more_than=0, verdict="hold"),))
    assert evaluate(rules, ok(box("dent"))).verdict == "hold"


def test_area_rule_measures_inclusive_pixels_against_the_photo():
    rules = RuleSet(rules=(AreaRule("scratch", percent=5, verdict="fail"),))
    # 100 x 50 photo = 5000 px; 5% = 250 px. A box of corners 0..24 x 0..9 covers 25 * 10 = 250: not larger.
    assert evaluate(rules, ok(box("scratch", 0, 0, 24, 9), width=100, height=50)).verdict == "pass"
    proposal = evaluate(rules, ok(box("scratch", 0, 0, 25, 9), width=100, height=50))
    assert proposal.verdict == "fail"
    assert proposal.reasons == ("a scratch covers 5.2% of the photo > 5% allowed",)


def test_area_rule_can_hold_and_needs_the_photo_size():
    rules = RuleSet(rules=(AreaRule("dent", percent=1, verdict="hold"),))
    assert evaluate(rules, ok(box("dent", 0, 0, 99, 99))).verdict == "pass"  # exactly 1%
    assert evaluate(rules, ok(box("dent", 0, 0, 100, 99))).verdict == "hold"
    no_size = {"status": "ok", "detections": [box("dent")]}
    proposal = evaluate(rules, no_size)
    assert (proposal.verdict, proposal.reasons) == ("hold", ("error: the photo's size is unknown",))


def test_detections_that_break_no_rule_pass_with_a_reason():
    proposal = evaluate(DEFAULT_RULES, ok(box("scratch"), box("dent")))
    assert proposal.verdict == "pass"
    assert proposal.reasons == ("2 detections, no rule broken",)


def test_fail_wins_over_hold_and_every_reason_of_the_verdict_is_given():
    rules = RuleSet(
        rules=(
            CountRule("dent", more_than=0, verdict="hold"),
            AnyRule("crack", verdict="fail"),
            CountRule("scratch", more_than=0, verdict="fail"),
        )
    )
    proposal = evaluate(rules, ok(box("dent"), box("crack"), box("scratch")))
    assert proposal.verdict == "fail"
    assert proposal.reasons == ("1 × crack: any fails", "1 × scratch > 0 allowed")
    assert evaluate(rules, ok(box("dent"))).reasons == ("1 × dent > 0 allowed",)


def test_class_names_match_case_and_whitespace_insensitively():
    rules = RuleSet(rules=(AnyRule("Missing  Screw"),))
    assert evaluate(rules, ok(box(" missing screw "))).verdict == "fail"
    assert evaluate(rules, ok(box("MISSING\tSCREW"))).verdict == "fail"
    assert evaluate(rules, ok(box("missing"))).verdict == "pass"


def test_a_malformed_detection_is_not_counted():
    assert evaluate(DEFAULT_RULES, ok({"mention": "crack"})).verdict == "pass"


def test_the_default_rules_are_the_issue_example():
    assert (
        RuleSet(
            rules=(
                AnyRule("crack", verdict="fail"),
                CountRule("scratch", more_than=2, verdict="fail"),
                AreaRule("scratch", percent=5, verdict="fail"),
            ),
            no_detection="pass",
            on_error="hold",
            otherwise="pass",
        )
        == DEFAULT_RULES
    )


def test_rules_round_trip_through_a_readable_toml_file(tmp_path):
    rules = RuleSet(
        rules=(
            AnyRule('crack "deep" \\ wide\ttab', verdict="hold"),
            CountRule("écaille\x7f\x01", more_than=0, verdict="fail"),
            AreaRule("scratch", percent=2.5, verdict="hold"),
            AreaRule("dent", percent=10, verdict="fail"),
        ),
        no_detection="hold",
        on_error="fail",
        otherwise="hold",
    )
    path = tmp_path / "rules.toml"
    save_rules(rules, path)
    assert load_rules(path) == rules
    assert tomllib.loads(path.read_text(encoding="utf-8"))["rule"][2] == {
        "class": "scratch",
        "area_over_percent": 2.5,
        "verdict": "hold",
    }


def test_the_default_file_reads_like_the_issue():
    text = dumps_rules(DEFAULT_RULES)
    assert '[[rule]]\nclass = "crack"\nany = true\nverdict = "fail"\n' in text
    assert '[[rule]]\nclass = "scratch"\ncount_over = 2\nverdict = "fail"\n' in text
    assert '[[rule]]\nclass = "scratch"\narea_over_percent = 5\nverdict = "fail"\n' in text
    assert loads_rules(text) == DEFAULT_RULES


def test_a_file_with_only_some_settings_keeps_the_defaults_for_the_rest():
    rules = loads_rules('[verdicts]\nerror = "fail"\n')
    assert rules == RuleSet(rules=(), no_detection="pass", on_error="fail", otherwise="pass")


@pytest.mark.parametrize(
    ("text", "where", "problem"),
    [
        ('[[rule]]\nclass = "a"\n', "line 1", "needs one of any, count_over, area_over_percent"),
        ('[[rule]]\nclass = "a"\nany = true\ncount_over = 2\n', "line 4", "only one of"),
        ("[[rule]]\nany = true\n", "line 1", "rule 1: `class` is missing"),
        ('[[rule]]\nclass = ""\nany = true\n', "line 2", "`class` must be a non-empty string"),
        (
            '\n[[rule]]\nclass = "a"\nany = true\n\n[[rule]]\nclass = "b"\ncount_over = -1\n',
            "line 8",
            "rule 2: `count_over` must be a whole number >= 0",
        ),
        ('[[rule]]\nclass = "a"\ncount_over = 1.5\n', "line 3", "`count_over` must be a whole number"),
        ('[[rule]]\nclass = "a"\narea_over_percent = 120\n', "line 3", "between 0 and 100"),
        ('[[rule]]\nclass = "a"\nany = false\n', "line 3", "`any` must be true"),
        (
            '[[rule]]\nclass = "a"\nany = true\nverdict = "pass"\n',
            "line 4",
            'verdict` must be "fail" or "hold"',
        ),
        ('[[rule]]\nclass = "a"\nany = true\ncolour = "red"\n', "line 4", "unknown key `colour`"),
        ('[verdicts]\nerror = "maybe"\n', "line 2", '`verdicts.error` must be "pass", "hold" or "fail"'),
        ('[verdicts]\nnever = "pass"\n', "line 2", "unknown key `verdicts.never`"),
        ("[extra]\n", "line 1", "unknown table `extra`"),
        ("rule = 3\n", "line 1", "`rule` must be a list of [[rule]] tables"),
        ('[[rule]\nclass = "a"\n', "line 1", "not valid TOML"),
    ],
)
def test_a_bad_rules_file_names_the_file_the_line_and_the_problem(tmp_path, text, where, problem):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RulesError) as caught:
        load_rules(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:"), message
    assert where in message and problem in message, message


def test_a_missing_or_undecodable_rules_file_is_a_rules_error(tmp_path):
    with pytest.raises(RulesError, match="cannot read"):
        load_rules(tmp_path / "absent.toml")
    (tmp_path / "latin1.toml").write_bytes(b'[[rule]]\nclass = "\xe9"\nany = true\n')
    with pytest.raises(RulesError, match=r"latin1\.toml: not UTF-8 text"):
        load_rules(tmp_path / "latin1.toml")


def test_no_rules_file_named_and_no_default_file_is_the_default_rules(tmp_path, monkeypatch):
    monkeypatch.setenv("ISAAC_GUI_CONFIG_DIR", str(tmp_path / "config"))
    assert default_rules_path() == tmp_path / "config" / "rules.toml"
    for empty in (None, ""):
        rules = load_rules_file(empty)
        assert rules == DEFAULT_RULES and rules.source is None


def test_the_default_rules_file_is_read_when_it_exists(tmp_path, monkeypatch):
    monkeypatch.setenv("ISAAC_GUI_CONFIG_DIR", str(tmp_path))
    (tmp_path / "rules.toml").write_text('[[rule]]\nclass = "dent"\nany = true\n', encoding="utf-8")
    rules = load_rules_file(None)
    assert rules.rules == (AnyRule("dent"),) and rules.source == str(tmp_path / "rules.toml")


def test_a_rules_file_named_but_missing_is_an_error_naming_it(tmp_path, monkeypatch):
    monkeypatch.setenv("ISAAC_GUI_CONFIG_DIR", str(tmp_path))
    with pytest.raises(RulesError, match=r"absent\.toml: cannot read the rules file"):
        load_rules_file(tmp_path / "absent.toml")
    with pytest.raises(RulesError, match=r"rules\.toml: cannot read the rules file"):
        load_rules_file(str(tmp_path / "rules.toml"))  # the default path, named explicitly


def test_a_rule_set_is_named_by_its_file_and_a_hash_of_its_rules(tmp_path):
    path = tmp_path / "line7.toml"
    save_rules(DEFAULT_RULES, path)
    loaded = load_rules(path)
    assert loaded == DEFAULT_RULES  # where it came from is not part of what it is
    assert rules_identity(loaded) == {"file": str(path), "sha256": rules_identity(DEFAULT_RULES)["sha256"]}
    assert rules_identity(DEFAULT_RULES)["file"] is None
    other = RuleSet(rules=(AnyRule("dent"),))
    assert rules_identity(other)["sha256"] != rules_identity(DEFAULT_RULES)["sha256"]
    assert len(rules_identity(other)["sha256"]) == 64
