"""The benchmarks, run small, so that they keep working between real runs."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bench import app_shell, dashboard, load, pull_scaling, push_fanout, push_throughput
from bench.__main__ import main as bench_main
from tests.conftest import ENGINE

# The benchmarks build SQLite databases in this process; Tortoise keeps the
# SQL it built for the last engine it met, so they must not run in the
# PostgreSQL pass.
pytestmark = pytest.mark.skipif(ENGINE == "postgres",
                                reason="the benchmarks measure SQLite")


def count(database: Path, sql: str, *params: object) -> int:
    connection = sqlite3.connect(database)
    try:
        return int(connection.execute(sql, params).fetchone()[0])
    finally:
        connection.close()


@pytest.fixture(scope="module")
def feeds(tmp_path_factory: pytest.TempPathFactory) -> tuple[pull_scaling.Feed, ...]:
    folder = tmp_path_factory.mktemp("feeds")
    return (pull_scaling.cached_feed(800, folder),
            pull_scaling.cached_feed(2000, folder))


def test_feed_database_holds_what_it_claims(feeds):
    reference_rows = (len(pull_scaling.DEPARTMENTS) + len(pull_scaling.CATEGORIES)
                      + 10)
    for feed in feeds:
        db = feed.path
        assert count(db, "SELECT count(*) FROM case_events") == feed.events
        assert feed.path.name.startswith(f"feed-{feed.events}-")
        assert count(db, "SELECT count(*) FROM changes") == feed.changes
        assert feed.changes == 2 * feed.events + reference_rows
        assert count(db, "SELECT count(*) FROM cases") == feed.cases
        assert count(db, "SELECT count(DISTINCT member_id) FROM cases") == 60
        assert (count(db, "SELECT count(*) FROM applied_mutations")
                == feed.applied_mutations > 0)
        assert count(db, "SELECT max(version) FROM changes") == count(
            db, "SELECT version FROM sync_state WHERE id = 1")

        waiting = count(
            db, "SELECT count(*) FROM changes WHERE version > ? AND"
            " ((member_id = ? AND staff_only = 0) OR public = 1)",
            feed.cursor_version, feed.member_id)
        assert waiting == pull_scaling.NEW_CHANGES
    assert feeds[1].events > feeds[0].events


def test_feed_database_is_built_once(feeds, tmp_path):
    small = feeds[0]
    built_at = small.path.stat().st_mtime_ns

    again = pull_scaling.cached_feed(small.events, small.path.parent)

    assert again == small
    assert small.path.stat().st_mtime_ns == built_at


def test_feed_too_short_for_the_pull_is_refused(tmp_path):
    with pytest.raises(ValueError, match="at least"):
        pull_scaling.build_feed(tmp_path / "feed.db", pull_scaling.NEW_CHANGES - 1)


def test_pull_is_timed_in_both_databases(feeds):
    small, large = feeds

    result = pull_scaling.measure(small, large, repetitions=6, rounds=2)
    lines = list(pull_scaling.report(result))

    for what in ("read_page", "pull endpoint"):
        for timing in result.timings[what]:
            assert len(timing.samples) == 12
            assert 0 < timing.median <= timing.p90 < 5
        assert result.ratio(what) > 0
    assert any("ratio of medians" in line for line in lines)


def test_push_counts_what_the_server_stored(tmp_path):
    plan = push_throughput.Plan(devices=2, batches=2, batch_size=10)

    result = push_throughput.measure(plan, tmp_path)
    push_throughput.check(result)

    assert result.casehub.mutations == result.bare.mutations == 40
    assert result.casehub.requests == result.bare.requests == 4
    assert result.stored.applied == 40
    assert result.stored.cases + result.stored.notes == 40
    assert result.stored.cases >= 2
    assert result.casehub.per_second > 0 and result.bare.per_second > 0
    assert result.casehub.server_cpu is not None and result.casehub.server_cpu > 0


def test_push_check_refuses_a_short_count(tmp_path):
    plan = push_throughput.Plan(devices=1, batches=1, batch_size=5)
    drive = push_throughput.Drive(seconds=1, requests=1, mutations=5,
                                  statuses={"applied": 5}, creates=5)
    short = push_throughput.Stored(applied=4, cases=5, notes=0)

    with pytest.raises(RuntimeError, match="holds"):
        push_throughput.check(push_throughput.Result(plan, drive, drive, short))


def test_load_reaches_the_server_and_watches_its_memory(tmp_path):
    plan = load.Plan(members=6, seconds=3, every=0.5)

    result = load.measure(plan, tmp_path)
    load.check(result)
    lines = load.report(result)

    assert result.casehub.errors == {} and result.bare.errors == {}
    assert len(result.casehub.latencies["pull"]) >= 6
    assert result.casehub.mutations > 0
    assert len(result.casehub.memory) >= 2
    assert all(kb > 10_000 for _, kb in result.casehub.memory)
    assert any("server memory" in line for line in lines)


def test_load_check_refuses_a_run_that_reached_nothing():
    empty = load.Run()

    with pytest.raises(RuntimeError, match="no pull"):
        load.check(load.Result(load.Plan(), empty, empty))


def test_dashboard_is_timed_over_both_databases(tmp_path):
    small = dashboard.cached(2, tmp_path)
    large = dashboard.cached(6, tmp_path)
    built_at = large.path.stat().st_mtime_ns

    assert dashboard.cached(6, tmp_path) == large
    assert large.path.stat().st_mtime_ns == built_at
    for built in (small, large):
        db = built.path
        assert count(db, "SELECT count(*) FROM contacts") == built.contacts
        assert count(db, "SELECT count(*) FROM cases") == built.cases
        assert count(db, "SELECT count(*) FROM handoffs") == built.handoffs
        assert count(db, "SELECT count(*) FROM cases WHERE acknowledged_at"
                     " IS NOT NULL AND response_seconds IS NULL") == 0
    assert large.contacts > 2 * small.contacts > 0

    result = dashboard.measure(small, large, repetitions=3, rounds=1)
    lines = list(dashboard.report(result))

    for timing in result.timings.values():
        assert len(timing.samples) == 3
        assert 0 < timing.median <= timing.p90 < 5
    assert result.ratio > 0
    assert set(result.parts) >= {"contacts by day", "response percentiles"}
    assert any("300 ms target" in line for line in lines)


def test_unknown_benchmark_is_refused(capsys):
    with pytest.raises(SystemExit):
        bench_main(["warp"])
    assert "no benchmark named warp" in capsys.readouterr().err


def test_alerts_fan_out_and_reach_the_push_service(tmp_path, monkeypatch):
    monkeypatch.setattr(push_fanout, "ALERTS", 40)
    monkeypatch.setattr(push_fanout, "DEVICES", 4)
    monkeypatch.setattr(push_fanout, "CHANGES", 3)

    figures = push_fanout.run()
    lines = push_fanout.report(figures)

    assert figures.worker.seconds > 0 and figures.bare.seconds > 0
    assert figures.worker.rate > 0 and figures.worker.cpu_rate > 0
    assert len(figures.latencies) == 3
    assert all(0 < seconds < 10 for seconds in figures.latencies)
    assert any("worker / bare" in line for line in lines)


def test_the_app_shell_is_measured_file_by_file():
    sizes = {size.kind: size for size in app_shell.shell_sizes()}
    lines = list(app_shell.report_sizes(list(sizes.values())))

    assert set(sizes) == {"css", "html", "js", "vendored idb"}
    assert sizes["js"].files >= 2
    assert all(0 < size.gzip < size.raw for size in sizes.values())
    assert "total" in lines[-2]
