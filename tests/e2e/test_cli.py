"""The headless command, run as a user runs it: a subprocess against the simulator."""

from __future__ import annotations

import csv
import json
import os
import signal
import sqlite3
import subprocess
import sys
from getpass import getuser
from pathlib import Path

import pytest
from pycocotools.coco import COCO

from isaac_gui.sim.samples import generate_samples
from tests.core.s3_server import ACCESS_KEY, REGION, SECRET_KEY, WeedServer, weed_binary

CLASSES = "scratch, dent"


def cli(*args: str, env_extra: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "isaac_gui.cli", *args],
        env={**os.environ, **env_extra},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture
def env(sim, tmp_path):
    return {
        "PERCEPTRON_BASE_URL": sim.base_url,
        "PERCEPTRON_API_KEY": "test-key",
        "ISAAC_GUI_CONFIG_DIR": str(tmp_path / "config"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
    }


def results(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]


def test_run_writes_results_and_summary_and_exits_0(tmp_path, env):
    generate_samples(tmp_path / "parts", 5, ["scratch", "dent"], seed=1, size=(400, 300))
    proc = cli(
        "run", str(tmp_path / "parts"), "--classes", CLASSES, "--out", str(tmp_path / "out"), env_extra=env
    )
    assert proc.returncode == 0, proc.stderr
    assert len(results(tmp_path / "out")) == 5
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["ok"] == 5 and summary["latency_ms"]["p50"] is not None
    assert "5/5" in proc.stderr and "p50" in proc.stderr


def test_default_output_folder_sits_beside_the_photos(tmp_path, env):
    generate_samples(tmp_path / "parts", 1, ["scratch"], seed=2, size=(200, 100))
    proc = cli("run", str(tmp_path / "parts"), "--classes", "scratch", env_extra=env)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "parts-results" / "results.jsonl").exists()


@pytest.mark.parametrize(
    "args",
    [
        ["run", "NOPE", "--classes", "scratch"],
        ["run", "{folder}", "--classes", " , "],
        ["run", "{folder}"],
        ["run", "{folder}", "--classes", "a", "--concurrency", "0"],
        ["frobnicate"],
    ],
)
def test_wrong_usage_exits_2_with_one_line(tmp_path, env, args):
    (tmp_path / "parts").mkdir()
    args = [a.replace("{folder}", str(tmp_path / "parts")) for a in args]
    proc = cli(*args, env_extra=env)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1].startswith("isaac-gui")


def test_a_refused_key_exits_3_with_one_line(tmp_path, env, sim):
    sim.update(api_key="the-right-one")
    generate_samples(tmp_path / "parts", 3, ["scratch"], seed=3, size=(200, 100))
    proc = cli(
        "run", str(tmp_path / "parts"), "--classes", "scratch", "--out", str(tmp_path / "o"), env_extra=env
    )
    assert proc.returncode == 3
    assert "401" in proc.stderr


def test_no_key_anywhere_exits_3_saying_where_a_key_goes(tmp_path, env, monkeypatch):
    monkeypatch.delenv("PERCEPTRON_API_KEY", raising=False)
    del env["PERCEPTRON_API_KEY"]  # and the keychain is the null backend: no key anywhere
    generate_samples(tmp_path / "parts", 1, ["scratch"], seed=6, size=(200, 100))
    proc = cli(
        "run", str(tmp_path / "parts"), "--classes", "scratch", "--out", str(tmp_path / "o"), env_extra=env
    )
    assert proc.returncode == 3, proc.stderr
    assert "No API key" in proc.stderr and "PERCEPTRON_API_KEY" in proc.stderr
    assert "--api-key" not in proc.stderr


def test_a_wrong_value_in_the_settings_file_is_one_warning_and_the_run_goes_on(tmp_path, env):
    config = Path(env["ISAAC_GUI_CONFIG_DIR"])
    config.mkdir()
    (config / "settings.json").write_text(
        '{"concurrency": "lots", "recent_folders": "abc"}', encoding="utf-8"
    )
    generate_samples(tmp_path / "parts", 2, ["scratch"], seed=5, size=(200, 100))
    proc = cli(
        "run", str(tmp_path / "parts"), "--classes", "scratch", "--out", str(tmp_path / "o"), env_extra=env
    )
    assert proc.returncode == 0, proc.stderr
    warned = [line for line in proc.stderr.splitlines() if "settings.json" in line]
    assert len(warned) == 2 and "concurrency" in warned[0] and "recent_folders" in warned[1]
    assert len(results(tmp_path / "o")) == 2


def test_sigkill_mid_run_then_the_same_command_resumes_to_exactly_one_result_each(tmp_path, env, sim):
    sim.update(latency_median_s=0.15, latency_jitter_s=0.05)
    generate_samples(tmp_path / "parts", 40, ["scratch", "dent"], seed=4, size=(320, 240))
    args = [
        sys.executable,
        "-m",
        "isaac_gui.cli",
        "run",
        str(tmp_path / "parts"),
        "--classes",
        CLASSES,
        "--out",
        str(tmp_path / "out"),
        "--concurrency",
        "4",
    ]
    proc = subprocess.Popen(
        args, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        assert sim.stats.wait_for_answers(12, timeout=60)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    with sqlite3.connect(tmp_path / "out" / "journal.sqlite") as db:
        (kept,) = db.execute("SELECT count(*) FROM results").fetchone()
    assert 0 < kept < 40
    sent_before = sim.stats.total_requests
    proc2 = cli(*args[3:], env_extra=env)
    assert proc2.returncode == 0, proc2.stderr
    assert sim.stats.total_requests - sent_before == 40 - kept  # nothing kept was sent again
    lines = results(tmp_path / "out")
    assert sorted(r["image"] for r in lines) == sorted({r["image"] for r in lines})
    assert len(lines) == 40 and all(r["status"] == "ok" for r in lines)


def test_ctrl_c_stops_cleanly_and_the_rerun_continues(tmp_path, env, sim):
    sim.update(latency_median_s=0.2)
    generate_samples(tmp_path / "parts", 30, ["scratch"], seed=5, size=(320, 240))
    args = [
        sys.executable,
        "-m",
        "isaac_gui.cli",
        "run",
        str(tmp_path / "parts"),
        "--classes",
        "scratch",
        "--out",
        str(tmp_path / "out"),
        "--concurrency",
        "2",
    ]
    proc = subprocess.Popen(
        args, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        assert sim.stats.wait_for_answers(4, timeout=60)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130, stderr
    assert "Stopping" in stderr
    partial = results(tmp_path / "out")
    assert 0 < len(partial) < 30
    proc2 = cli(*args[3:], env_extra=env)
    assert proc2.returncode == 0
    assert len(results(tmp_path / "out")) == 30


def test_run_streams_records_to_s3_and_a_rerun_duplicates_nothing(tmp_path, env):
    server = WeedServer(tmp_path / "weed", weed_binary())
    server.start()
    try:
        server.client().create_bucket(Bucket="inspections")
        s3_env = {
            **env,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_CONFIG_FILE": str(tmp_path / "none"),
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        }
        generate_samples(tmp_path / "parts", 4, ["scratch"], seed=6, size=(320, 240))
        args = [
            "run",
            str(tmp_path / "parts"),
            "--classes",
            "scratch",
            "--out",
            str(tmp_path / "line7"),
            "--s3",
            "s3://inspections/plant-a",
            "--s3-endpoint-url",
            server.endpoint_url,
        ]
        for _ in range(2):
            proc = cli(*args, env_extra=s3_env)
            assert proc.returncode == 0, proc.stderr
            assert "S3:" not in proc.stderr
            listed = server.client().list_objects_v2(Bucket="inspections", Prefix="plant-a/")
            keys = sorted(o["Key"] for o in listed.get("Contents", []))
            assert keys == [
                "plant-a/line7/manifest.json",
                *(f"plant-a/line7/records/part_{i:05d}.jpg.json" for i in range(4)),
            ]
        key = "plant-a/line7/records/part_00000.jpg.json"
        body = server.client().get_object(Bucket="inspections", Key=key)
        assert json.loads(body["Body"].read()) == results(tmp_path / "line7")[0]

        # A decision after the run: `isaac-gui upload` sends that record again, as reviewed.
        from isaac_gui.core.review.session import ReviewSession  # noqa: PLC0415

        session = ReviewSession(tmp_path / "line7", inspector="Ana")
        session.set_verdict("part_00000.jpg", "hold", "needs a second look")
        session.close()
        upload = ["upload", str(tmp_path / "line7"), *args[6:]]
        proc = cli(*upload, env_extra=s3_env)
        assert proc.returncode == 0, proc.stderr
        assert "S3: 1 uploaded, 3 already there, 0 failed, 0 still waiting" in proc.stderr
        stored = json.loads(server.client().get_object(Bucket="inspections", Key=key)["Body"].read())
        assert stored["review"]["verdict"] == "hold" and stored["review"]["by"].startswith("Ana")
        proc = cli(*upload, env_extra=s3_env)  # nothing changed since: nothing goes up
        assert "S3: 0 uploaded, 4 already there" in proc.stderr
        proc = cli("upload", str(tmp_path / "nowhere"), "--s3", "s3://inspections/x", env_extra=s3_env)
        assert proc.returncode == 2 and "nowhere: not a run's output folder" in proc.stderr
    finally:
        server.kill()


def test_export_command_writes_every_format_the_readers_accept(tmp_path, env):
    truths = generate_samples(
        tmp_path / "parts", 3, ["scratch", "dent"], seed=8, size=(400, 300), orientations=(1, 6)
    )
    proc = cli(
        "run", str(tmp_path / "parts"), "--classes", CLASSES, "--out", str(tmp_path / "out"), env_extra=env
    )
    assert proc.returncode == 0, proc.stderr
    proc = cli(
        "export",
        str(tmp_path / "out"),
        "--format",
        "coco,yolo,voc,csv,annotated,json",
        "--to",
        str(tmp_path / "x"),
        env_extra=env,
    )
    assert proc.returncode == 0, proc.stderr
    coco = COCO(str(tmp_path / "x" / "coco" / "annotations.json"))
    assert [c["name"] for c in coco.loadCats(coco.getCatIds())] == ["scratch", "dent"]
    assert len(coco.getAnnIds()) == sum(len(t.boxes) for t in truths)
    for truth in truths:
        (image,) = [i for i in coco.dataset["images"] if i["file_name"] == truth.path]
        assert (image["width"], image["height"]) == (truth.width, truth.height)
        assert (tmp_path / "x" / "annotated" / truth.path).exists()
        assert (tmp_path / "x" / "yolo" / "labels" / truth.path.replace(".jpg", ".txt")).exists()
        assert (tmp_path / "x" / "voc" / truth.path.replace(".jpg", ".xml")).exists()
    assert (tmp_path / "x" / "detections.csv").exists() and (tmp_path / "x" / "records.jsonl").exists()
    proc = cli("export", str(tmp_path / "out"), "--format", "pdf", "--to", str(tmp_path / "y"), env_extra=env)
    assert proc.returncode == 2 and "pdf" in proc.stderr


RULES_HOLD_DENTS = """\
[verdicts]
no_detection = "pass"

[[rule]]
class = "dent"
any = true
verdict = "hold"

[[rule]]
class = "scratch"
any = true
verdict = "fail"
"""


def test_a_run_with_rules_counts_verdicts_and_an_export_after_review_has_the_corrected_boxes(tmp_path, env):
    truths = generate_samples(tmp_path / "parts", 4, ["scratch", "dent"], seed=11, size=(400, 300))
    (tmp_path / "rules.toml").write_text(RULES_HOLD_DENTS, encoding="utf-8")
    out = tmp_path / "out"
    proc = cli(
        "run", str(tmp_path / "parts"), "--classes", CLASSES, "--out", str(out),
        "--rules", str(tmp_path / "rules.toml"), env_extra=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr

    def expected(classes: set[str]) -> str:
        return "fail" if "scratch" in classes else "hold" if "dent" in classes else "pass"

    proposals = [expected({cls for cls, _ in t.boxes}) for t in truths]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["verdicts"] == {
        **{v: proposals.count(v) for v in ("pass", "fail", "hold")},
        "undecided": 4,
    }
    assert summary["rules"]["file"] == str(tmp_path / "rules.toml") and len(summary["rules"]["sha256"]) == 64
    assert summary["agreement"] == {}
    assert all("review" not in r for r in results(out))  # nobody reviewed yet: lines as the model answered

    # The inspector rejects the first box of the first photo with a box and overrides it to pass.
    from isaac_gui.core.review.rules import load_rules  # noqa: PLC0415
    from isaac_gui.core.review.session import ReviewSession  # noqa: PLC0415

    index = next(i for i, t in enumerate(truths) if t.boxes)
    photo = truths[index].path
    session = ReviewSession(out, load_rules(tmp_path / "rules.toml"), inspector="Ana")
    session.reject_box(photo, "m0", reason="reflection")
    session.set_verdict(photo, "pass", "Not a defect (reflection, dust)")
    session.close()

    proc = cli(
        "export", str(out), "--format", "csv,coco,json", "--to", str(tmp_path / "x"),
        "--rules", str(tmp_path / "rules.toml"), env_extra=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    line = next(r for r in results(out) if r["image"] == photo)
    model = line["model_detections"]
    assert len(line["detections"]) == len(model) - 1 == len(truths[index].boxes) - 1
    assert line["rejected"][0]["box"] == "m0" and line["review"]["verdict"] == "pass"
    summary = json.loads((out / "summary.json").read_text())
    after = [*proposals[:index], "pass", *proposals[index + 1 :]]
    assert summary["verdicts"] == {**{v: after.count(v) for v in ("pass", "fail", "hold")}, "undecided": 3}
    rejected_cls = model[0]["mention"]
    assert summary["agreement"][rejected_cls]["rejected"] == 1
    assert summary["outcome"] == "completed"

    coco = COCO(str(tmp_path / "x" / "coco" / "annotations.json"))
    (image,) = [i for i in coco.dataset["images"] if i["file_name"] == photo]
    assert len(coco.getAnnIds(imgIds=[image["id"]])) == len(model) - 1
    assert image["review"]["reason"] == "Not a defect (reflection, dust)"
    rows = [r for r in csv_rows(tmp_path / "x" / "detections.csv") if r["image"] == photo]
    assert {r["verdict"] for r in rows} == {"pass"} and {r["reviewed_by"] for r in rows} == {
        f"Ana ({getuser()})"
    }


def csv_rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_a_bad_rules_file_is_a_usage_error_naming_the_file_the_line_and_the_key(tmp_path, env):
    (tmp_path / "parts").mkdir()
    bad = tmp_path / "rules.toml"
    bad.write_text('[[rule]]\nclass = "dent"\nany = true\ncolour = "red"\n', encoding="utf-8")
    proc = cli("run", str(tmp_path / "parts"), "--classes", "dent", "--rules", str(bad), env_extra=env)
    assert proc.returncode == 2
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith(f"isaac-gui: --rules: {bad}: line 4:") and "`colour`" in last
    proc = cli(
        "run",
        str(tmp_path / "parts"),
        "--classes",
        "dent",
        "--rules",
        str(tmp_path / "no.toml"),
        env_extra=env,
    )
    assert proc.returncode == 2 and "no.toml: cannot read the rules file" in proc.stderr
    assert not (tmp_path / "parts-results").exists()  # refused before anything was written


def test_without_rules_the_settings_rules_file_applies_else_the_default_file_else_the_built_in(tmp_path, env):
    generate_samples(tmp_path / "parts", 1, ["dent"], seed=12, size=(200, 100))
    config = Path(env["ISAAC_GUI_CONFIG_DIR"])
    config.mkdir()

    def rules_in_force() -> str | None:
        proc = cli(
            "run", str(tmp_path / "parts"), "--classes", "dent", "--out", str(tmp_path / "o"), env_extra=env
        )
        assert proc.returncode == 0, proc.stderr
        return json.loads((tmp_path / "o" / "summary.json").read_text())["rules"]["file"]

    assert rules_in_force() is None  # no file anywhere: the built-in rules
    (config / "rules.toml").write_text(RULES_HOLD_DENTS, encoding="utf-8")
    assert rules_in_force() == str(config / "rules.toml")
    (tmp_path / "line7.toml").write_text(RULES_HOLD_DENTS, encoding="utf-8")
    (config / "settings.json").write_text(
        json.dumps({"rules_file": str(tmp_path / "line7.toml")}), encoding="utf-8"
    )
    assert rules_in_force() == str(tmp_path / "line7.toml")
