"""publish() runs disclosure control on the groups it can affect only: the published table must be exactly what
control() gives over each country's whole table (the reference), on data with many small counts."""

from __future__ import annotations

import random

import duckdb

from pipelines.publish.disclosure import KEY, Thresholds, control
from pipelines.publish.publish import COLUMNS, DDL, fetch_dicts, publish
from pipelines.warehouse import Db

CHILD = ("CJ_VICTIMS_IDENTIFIED", "CJ_CHILD_OFFENDERS")
SEXES, AGES = ("F", "M", "_U", "_T"), ("Y0T4", "Y5T9", "Y10T14", "Y15T17", "_U", "Y0T17")


def cells(sid: str, seed: int, areas=("KEN", "UGA", "PER")) -> list[tuple]:
    rng = random.Random(seed)
    out = []
    for area in areas:
        for year in (2021, 2022):
            for ind in (*CHILD, "CJ_CASES_OPENED"):
                for off in ("_T", "0301"):
                    for sex in SEXES:
                        for age in AGES:
                            if rng.random() < 0.1:
                                continue          # gaps: some relations are incomplete
                            v = rng.choice([None, 0, 1, 2, 3, 4, 5, 7, 12, 30, 250])
                            status = "Q" if v is None and rng.random() < 0.2 else ("M" if v is None else "A")
                            out.append((area, year, ind, "D1", 1, sex, age, off, v, "PERSONS", status, "F", sid,
                                        f"row {len(out) + 2}, column value", None))
    return out


def warehouse() -> Db:
    conn = duckdb.connect()
    conn.execute("create schema reference; create schema marts")
    conn.execute("create table reference.indicators (indicator_code varchar, is_child_person_count boolean)")
    conn.execute("insert into reference.indicators values (?, true), (?, true), ('CJ_CASES_OPENED', false)", CHILD)
    conn.execute(DDL)
    conn.execute("create table marts.fct_observations as select * from published.observations where false")
    return Db(conn, "duckdb")


def test_publish_controls_only_affected_groups_with_the_same_result_as_the_whole_table(monkeypatch):
    monkeypatch.setenv("MNR_SUPPRESS_MAX", "4")
    conn = warehouse()
    first = cells("S1", 1)
    keep = random.Random(3)
    second = [c for c in cells("S2", 2, areas=("KEN",)) if keep.random() < 0.5]   # a revision of some keys
    for batch in (first, second):
        conn.executemany(f"insert into marts.fct_observations values ({', '.join('?' * len(COLUMNS))})", batch)
    publish(conn, ["S1"])
    publish(conn, ["S2"])

    # Reference: the latest value of each key, controlled over each whole country table at once, against the
    # first state for the tables the second submission revised (their earlier state must stay closed).
    t = Thresholds(suppress_max=4, reliable_min=20)
    revised = {tuple(c[i] for i in (0, 1, 2, 5, 6, 7)) for c in second}
    state1 = control([dict(zip(COLUMNS, c)) for c in first], set(CHILD), t)
    revised_tables = {k[:3] for k in revised}
    history = [dict(r, published_at="t1", superseded_at="t2" if tuple(r[k] for k in KEY) in revised else None)
               for r in state1 if (r["ref_area"], r["time_period"], r["indicator_code"]) in revised_tables]
    latest = {}
    for c in first + second:
        latest[tuple(c[i] for i in (0, 1, 2, 5, 6, 7))] = dict(zip(COLUMNS, c))
    rows = sorted(latest.values(), key=lambda r: tuple((v is None, v) for v in r.values()))
    expected = control(rows, set(CHILD), t, history)
    got = fetch_dicts(conn, f"select {', '.join(COLUMNS)} from published.observations")

    def index(rs):
        return {tuple(r[k] for k in KEY): (r["obs_value"], r["obs_status"], r["obs_conf"], r["submission_id"])
                for r in rs}

    assert index(got) == index(expected)
    assert sum(r["obs_conf"] == "D" for r in got) > 10    # secondary suppression did happen
    # History holds every published row as it is published now.
    assert conn.execute("""select count(*) from published.observation_history h join published.observations p
        using (ref_area, time_period, indicator_code, sex, age, offence, submission_id)
        where h.superseded_at is null and h.obs_value is not distinct from p.obs_value
          and h.obs_status = p.obs_status and h.obs_conf = p.obs_conf""").fetchone()[0] == len(got)


def test_submissions_published_together_in_rounds_give_what_one_at_a_time_gives(monkeypatch):
    from pipelines.publish import publish as publish_module

    monkeypatch.setenv("MNR_SUPPRESS_MAX", "4")
    keep = random.Random(5)
    data = {"S1": cells("S1", 1),                                                       # KEN, UGA, PER
            "S2": [c for c in cells("S2", 2, areas=("KEN",)) if keep.random() < 0.5],   # revises some KEN keys
            "S3": cells("S3", 3, areas=("UGA",)),                                       # revises UGA
            "S4": cells("S4", 4, areas=("MEX",))}                                       # a country of its own
    order = ["S1", "S2", "S3", "S4"]
    together, one_at_a_time, separate_calls = warehouse(), warehouse(), warehouse()
    for conn in (together, one_at_a_time, separate_calls):
        for sid in order:
            conn.executemany(f"insert into marts.fct_observations values ({', '.join('?' * len(COLUMNS))})",
                             data[sid])

    # A submission waits for the earlier ones of its countries only.
    assert publish_module.rounds(together, order) == [["S1", "S4"], ["S2", "S3"]]
    counts = publish(together, order)
    assert counts == {sid: len(data[sid]) for sid in order}
    with monkeypatch.context() as m:   # the same call, publishing one submission per pass
        m.setattr(publish_module, "rounds", lambda conn, ids: [[sid] for sid in ids])
        assert publish(one_at_a_time, order) == counts
    for sid in order:
        publish(separate_calls, [sid])

    def rows(conn, table, extra=""):
        return sorted(conn.execute(f"select {', '.join(COLUMNS)}{extra} from {table}").fetchall(), key=repr)

    # The same published table and history as one submission per pass...
    assert rows(together, "published.observations") == rows(one_at_a_time, "published.observations")
    assert (rows(together, "published.observation_history", ", superseded_at is null")
            == rows(one_at_a_time, "published.observation_history", ", superseded_at is null"))
    # One call per submission publishes every intermediate state, which the later ones must keep closed: its
    # pattern may be wider, and it leaks nothing against that history (the release's audit).
    from pipelines.publish.verify import leaks

    for conn in (together, separate_calls):
        current = fetch_dicts(conn, f"""select p.*, f.obs_value as true_value from published.observations p
                                        join marts.fct_observations f using (submission_id, {', '.join(KEY)})""")
        past = fetch_dicts(conn, f"""select h.*, f.obs_value as true_value from published.observation_history h
                                     join marts.fct_observations f using (submission_id, {', '.join(KEY)})""")
        assert leaks(current, history=past, children=set(CHILD)) == []
    suppressed = [{r[:8] for r in rows(c, "published.observations") if r[8] is None}
                  for c in (together, separate_calls)]
    assert suppressed[0] and suppressed[1]
