"""The engine end to end: real files, the unmodified SDK, the loopback simulator."""

from __future__ import annotations

import io
import json
import shutil
import threading

import pytest
from PIL import Image

from isaac_gui.core.events import PhotoFinished, PhotoRetrying, ScanFinished, ScanProblem
from isaac_gui.core.journal import Journal
from isaac_gui.core.turns import Turns
from isaac_gui.sim.samples import generate_samples

from .conftest import run_to_end, start_run

CLASSES = ("scratch", "dent", "missing screw")


def assert_boxes_match(record, truth, tolerance=0.01):
    assert record["status"] == "ok", record
    assert (record["width"], record["height"]) == (truth.width, truth.height)
    got = sorted(
        (d["mention"], d["top_left"]["x"], d["top_left"]["y"], d["bottom_right"]["x"], d["bottom_right"]["y"])
        for d in record["detections"]
    )
    want = sorted((name, x1, y1, x2 - 1, y2 - 1) for name, (x1, y1, x2, y2) in truth.boxes)
    assert len(got) == len(want), (got, want)
    for g, w in zip(got, want, strict=True):
        assert g[0] == w[0]
        assert abs(g[1] - w[1]) <= tolerance * truth.width and abs(g[3] - w[3]) <= tolerance * truth.width
        assert abs(g[2] - w[2]) <= tolerance * truth.height and abs(g[4] - w[4]) <= tolerance * truth.height


@pytest.mark.parametrize("size", [(4000, 3000), (640, 480), (300, 900)])
def test_boxes_land_on_the_markers_for_every_orientation(tmp_path, sim, size):
    truths = generate_samples(tmp_path / "in", 8, CLASSES, seed=3, size=size, orientations=range(1, 9))
    outcome = run_to_end(tmp_path / "in", tmp_path / "out", CLASSES, sim)
    assert outcome.end.outcome == "completed"
    records = outcome.records()
    assert len(records) == 8
    for truth in truths:
        assert_boxes_match(records[truth.path], truth)


def test_every_accepted_format_is_converted_and_lands_on_the_markers(tmp_path, sim):
    truths = generate_samples(tmp_path / "in", 3, CLASSES, seed=5, formats=("png", "webp", "jpg"))
    source = tmp_path / "in" / truths[1].path  # also re-save one as TIFF, BMP and GIF
    img = Image.open(source).convert("RGB")
    extra = {}
    for fmt, ext in (("TIFF", "tif"), ("BMP", "bmp"), ("GIF", "gif")):
        name = f"converted.{ext}"
        img.save(tmp_path / "in" / name, fmt)
        extra[name] = truths[1]
    records = run_to_end(tmp_path / "in", tmp_path / "out", CLASSES, sim).records()
    assert len(records) == 6
    for truth in truths:
        assert_boxes_match(records[truth.path], truth)
    for name, truth in extra.items():
        assert_boxes_match(records[name], truth, tolerance=0.015)


def test_bad_inputs_become_named_errors_and_the_batch_goes_on(tmp_path, sim):
    folder = tmp_path / "in"
    truths = generate_samples(folder, 2, CLASSES, seed=9)
    good = (folder / truths[0].path).read_bytes()
    (folder / "truncated.jpg").write_bytes(good[: len(good) // 3])
    (folder / "notes.jpg").write_text("not a photo at all")
    (folder / "empty.png").write_bytes(b"")
    bomb = io.BytesIO()
    Image.new("1", (20000, 20000)).save(bomb, "PNG")  # 400 megapixels in a few kB
    (folder / "bomb.png").write_bytes(bomb.getvalue())
    outcome = run_to_end(folder, tmp_path / "out", CLASSES, sim)
    records = outcome.records()
    assert outcome.end.outcome == "completed"
    assert {r["status"] for name, r in records.items() if name.startswith("part_")} == {"ok"}
    kinds = {name: r["error"]["kind"] for name, r in records.items() if r["status"] == "error"}
    assert kinds == {
        "truncated.jpg": "truncated",
        "notes.jpg": "not_an_image",
        "empty.png": "not_an_image",
        "bomb.png": "too_large",
    }
    for name in kinds:
        assert records[name]["error"]["message"]
    assert sim.stats.total_requests == 2  # nothing undecodable was sent


def test_faults_lose_nothing_and_duplicate_nothing(tmp_path, sim):
    generate_samples(tmp_path / "in", 40, CLASSES, seed=11, size=(320, 240))
    sim.update(
        p_500=0.1, p_503=0.1, p_drop=0.05, p_malformed=0.05, p_malformed_markup=0.05, retry_after_503_s=0
    )
    outcome = run_to_end(tmp_path / "in", tmp_path / "out", CLASSES, sim, concurrency=8)
    lines = (tmp_path / "out" / "results.jsonl").read_text().splitlines()
    images = [json.loads(line)["image"] for line in lines]
    assert len(images) == 40 and len(set(images)) == 40
    assert all(json.loads(line)["status"] == "ok" for line in lines)
    assert outcome.retries, "the faults should have caused retries"
    assert len(outcome.finished) == 40
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert (summary["images"], summary["ok"], summary["error"]) == (40, 40, 0)
    assert summary["retries"] == len(outcome.retries)


def test_a_429_storm_is_absorbed(tmp_path, sim):
    generate_samples(tmp_path / "in", 12, CLASSES, seed=12, size=(320, 240))
    sim.update(script=["429"] * 30)
    outcome = run_to_end(tmp_path / "in", tmp_path / "out", CLASSES, sim, concurrency=4)
    records = outcome.records()
    assert len(records) == 12 and all(r["status"] == "ok" for r in records.values())
    assert outcome.end.snapshot.rate_limited >= 1


def test_an_image_that_keeps_failing_becomes_a_retryable_error_then_succeeds_on_rerun(tmp_path, sim):
    generate_samples(tmp_path / "in", 3, CLASSES, seed=13, size=(320, 240))
    sim.update(fail_each_image_times=100, fail_each_image_fault="500")
    first = run_to_end(tmp_path / "in", tmp_path / "out", CLASSES, sim).records()
    assert {r["error"]["kind"] for r in first.values()} == {"gave_up"}
    assert all(r["attempts"] == 6 for r in first.values())
    assert "500" in next(iter(first.values()))["error"]["message"]
    sim.update(fail_each_image_times=0)
    second = run_to_end(tmp_path / "in", tmp_path / "out", CLASSES, sim).records()
    assert {r["status"] for r in second.values()} == {"ok"}


def test_out_of_range_answers_are_clamped_and_flagged(tmp_path, sim):
    generate_samples(tmp_path / "in", 2, CLASSES, seed=14, size=(320, 240), max_markers=2)
    sim.update(p_out_of_range=1.0)
    records = run_to_end(tmp_path / "in", tmp_path / "out", CLASSES, sim).records()
    for record in records.values():
        assert record["status"] == "ok"
        for d in record["detections"]:
            assert 0 <= d["top_left"]["x"] <= d["bottom_right"]["x"] < record["width"]
            assert 0 <= d["top_left"]["y"] <= d["bottom_right"]["y"] < record["height"]
        if record["detections"]:
            assert record["warnings"]


@pytest.mark.parametrize(
    ("change", "kind_words"),
    [
        ({"api_key": "right-key"}, "401"),
        ({"quota_exhausted": True}, "quota"),
        ({"forbidden_models": frozenset({"isaac-0.1"})}, "403"),
    ],
)
def test_the_service_refusing_the_run_stops_it_with_one_sentence(tmp_path, sim, change, kind_words):
    generate_samples(tmp_path / "in", 6, CLASSES, seed=15, size=(320, 240))
    sim.update(**change)
    outcome = run_to_end(tmp_path / "in", tmp_path / "out", CLASSES, sim, concurrency=2)
    assert outcome.end.outcome == "stopped"
    assert kind_words in outcome.end.message
    message = outcome.end.message
    assert message.endswith(".") and ". " not in message  # one sentence
    assert not outcome.records()  # nothing recorded as an error: the photos are simply still to do
    assert sim.stats.total_requests <= 2


def test_identical_photos_share_one_request_and_unchanged_photos_are_skipped(tmp_path, sim):
    folder = tmp_path / "in"
    truths = generate_samples(folder, 3, CLASSES, seed=16, size=(320, 240))
    shutil.copy(folder / truths[0].path, folder / "copy.jpg")
    first = run_to_end(folder, tmp_path / "out", CLASSES, sim).records()
    assert len(first) == 4 and sim.stats.total_requests == 3
    assert first["copy.jpg"]["detections"] == first[truths[0].path]["detections"]
    # Rerun: nothing is sent again. Change one photo: only it is sent.
    again = run_to_end(folder, tmp_path / "out", CLASSES, sim)
    assert sim.stats.total_requests == 3
    assert all(e.from_journal for e in again.finished)
    img = Image.open(folder / truths[1].path)
    img.rotate(180).save(folder / truths[1].path, quality=90)
    changed = run_to_end(folder, tmp_path / "out", CLASSES, sim).records()
    assert sim.stats.total_requests == 4
    assert changed[truths[1].path]["sha256"] != first[truths[1].path]["sha256"]
    # Other classes are other work.
    run_to_end(folder, tmp_path / "out", ("scratch",), sim)
    assert sim.stats.total_requests == 7


def test_cancel_wakes_sleeping_retries_and_the_rerun_finishes(tmp_path, sim):
    generate_samples(tmp_path / "in", 6, CLASSES, seed=17, size=(320, 240))
    sim.update(fail_each_image_times=100, fail_each_image_fault="503", retry_after_503_s=3600)
    outcome, pool = start_run(tmp_path / "in", tmp_path / "out", CLASSES, sim, concurrency=3)
    try:
        assert sim.stats.wait_for_answers(3, timeout=30)
        outcome.runner.cancel()
        assert outcome.runner.wait(10), "cancel did not wake the hour-long backoffs"
    finally:
        pool.shutdown(wait=True)
    assert outcome.end.outcome == "cancelled"
    assert not outcome.records()
    sim.update(fail_each_image_times=0)
    again = run_to_end(tmp_path / "in", tmp_path / "out", CLASSES, sim).records()
    assert len(again) == 6 and {r["status"] for r in again.values()} == {"ok"}


def test_cancel_cuts_hanging_requests_after_the_grace_period(tmp_path, sim):
    generate_samples(tmp_path / "in", 4, CLASSES, seed=18, size=(320, 240))
    sim.update(p_hang=1.0, hang_s=600)
    outcome, pool = start_run(
        tmp_path / "in", tmp_path / "out", CLASSES, sim, concurrency=2, cancel_grace_s=0.2
    )
    try:
        assert sim.stats.wait_for_requests(2, timeout=30)
        outcome.runner.cancel()
        assert outcome.runner.wait(15)
    finally:
        pool.shutdown(wait=True)
    assert outcome.end.outcome == "cancelled"


def test_pause_holds_new_requests_and_resume_finishes(tmp_path, sim):
    generate_samples(tmp_path / "in", 10, CLASSES, seed=19, size=(320, 240))
    sim.update(latency_median_s=0.05)
    outcome, pool = start_run(tmp_path / "in", tmp_path / "out", CLASSES, sim, concurrency=2)
    try:
        assert sim.stats.wait_for_requests(2, timeout=30)
        outcome.runner.pause()
        assert outcome.runner.wait_paused(timeout=10)
        assert sim.stats.wait_idle(timeout=10)
        sent = sim.stats.total_requests
        assert sent < 10
        assert not sim.stats.wait_for_requests(sent + 1, timeout=0.5)  # nothing new while paused
        outcome.runner.resume()
        assert outcome.runner.wait(60)
    finally:
        pool.shutdown(wait=True)
    assert len(outcome.records()) == 10
    assert sim.stats.total_requests == 10


def test_a_network_outage_mid_run_holds_the_photos_and_loses_nothing(tmp_path, sim):
    generate_samples(tmp_path / "in", 16, CLASSES, seed=20, size=(320, 240))
    sim.update(latency_median_s=0.05)
    answered = threading.Event()
    retried_while_down = threading.Event()
    down = threading.Event()

    def watch(event):
        if isinstance(event, PhotoFinished):
            answered.set()
        elif isinstance(event, PhotoRetrying) and down.is_set() and event.attempt >= 8:
            retried_while_down.set()  # more tries than an image has: the outage does not use them up

    outcome, pool = start_run(tmp_path / "in", tmp_path / "out", CLASSES, sim, concurrency=2, on_event=watch)
    try:
        assert answered.wait(30)
        sim.stop()
        down.set()
        assert retried_while_down.wait(60)
        sim.start()
        assert outcome.runner.wait(60)
    finally:
        pool.shutdown(wait=True)
    records = outcome.records()
    assert len(records) == 16 and {r["status"] for r in records.values()} == {"ok"}


def test_a_service_that_never_answers_is_not_an_outage(tmp_path, sim):
    generate_samples(tmp_path / "in", 2, CLASSES, seed=21, size=(320, 240))
    sim.stop()  # nothing listens: a wrong address, say
    records = run_to_end(tmp_path / "in", tmp_path / "out", CLASSES, sim).records()
    assert {r["error"]["kind"] for r in records.values()} == {"gave_up"}
    assert "connection failed" in next(iter(records.values()))["error"]["message"]


def test_one_turn_for_all_the_python_work_still_finishes_a_run_with_retries(tmp_path, sim):
    # The tightest setting: scan, count, hashing, requests and saves all share one turn, and
    # photos wait for retries and request slots in between; nothing may wait while holding it.
    generate_samples(tmp_path / "in", 12, CLASSES, seed=29, size=(320, 240))
    sim.update(fail_each_image_times=1, fail_each_image_fault="500")
    outcome = run_to_end(tmp_path / "in", tmp_path / "out", CLASSES, sim, turns=Turns(1), concurrency=4)
    assert [r["status"] for r in outcome.records().values()] == ["ok"] * 12


def test_a_total_listed_by_the_caller_spares_the_count_and_is_corrected_when_wrong(tmp_path, sim):
    generate_samples(tmp_path / "in", 6, CLASSES, seed=31, size=(320, 240))
    right = run_to_end(tmp_path / "in", tmp_path / "a", CLASSES, sim, expected_total=6)
    totals = [e.total for e in right.events if isinstance(e, ScanFinished)]
    assert totals == [6] and isinstance(right.events[0], ScanFinished)  # told first, no counting pass
    assert right.runner.stats.snapshot().total == 6

    stale = run_to_end(
        tmp_path / "in", tmp_path / "b", CLASSES, sim, expected_total=4
    )  # 2 photos added since
    assert [e.total for e in stale.events if isinstance(e, ScanFinished)] == [4, 6]
    assert stale.runner.stats.snapshot().total == 6
    assert len(stale.records()) == 6


def test_a_selection_reruns_with_other_classes_and_every_answer_is_kept(tmp_path, sim):
    folder, out = tmp_path / "in", tmp_path / "out"
    truths = generate_samples(folder, 4, CLASSES, seed=21, size=(320, 240))
    first = run_to_end(folder, out, CLASSES, sim).records()
    assert sim.stats.total_requests == 4
    chosen = [truths[1].path, truths[3].path]

    # Only the chosen photos are sent, with the new classes; the others keep their answer.
    again = run_to_end(folder, out, ("scratch",), sim, only=tuple(chosen))
    assert sim.stats.total_requests == 6
    assert again.end.snapshot.total == 2 and sorted(e.rel for e in again.finished) == sorted(chosen)
    records = again.records()
    assert list(records) == list(first)  # every photo, in scan order, once
    for rel, record in records.items():
        assert record["classes"] == (["scratch"] if rel in chosen else list(CLASSES))
        if rel not in chosen:
            assert record == first[rel]

    # Both answers of a chosen photo are in the journal, newest last.
    journal = Journal(out)
    try:
        answers = journal.answers(records[chosen[0]]["sha256"])
    finally:
        journal.close()
    assert [a.record["classes"] for a in answers] == [list(CLASSES), ["scratch"]]
    assert answers[0].record == {k: v for k, v in first[chosen[0]].items() if k != "image"}

    # Asking the first question again is answered from the journal: nothing sent, the earlier answer back.
    back = run_to_end(folder, out, CLASSES, sim, only=(chosen[0],))
    assert sim.stats.total_requests == 6 and all(e.from_journal for e in back.finished)
    assert back.records()[chosen[0]] == first[chosen[0]]


def test_a_selection_naming_a_missing_photo_says_which_and_runs_the_rest(tmp_path, sim):
    folder, out = tmp_path / "in", tmp_path / "out"
    truths = generate_samples(folder, 2, CLASSES, seed=22, size=(320, 240))
    run_to_end(folder, out, CLASSES, sim)
    (folder / truths[0].path).unlink()
    outcome = run_to_end(folder, out, ("dent",), sim, only=(truths[0].path, truths[1].path))
    problems = [e for e in outcome.events if isinstance(e, ScanProblem)]
    assert [p.path.name for p in problems] == [truths[0].path] and "no longer there" in problems[0].message
    assert [e.rel for e in outcome.finished] == [truths[1].path]
    assert outcome.end.outcome == "completed"
