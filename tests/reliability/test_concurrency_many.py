"""Many submissions at once from threads and processes together: none lost, none twice, no error shown.
Runs started together (and a reader during them) are in tests/integration/test_concurrency.py."""

import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pipelines.ingest.archive import all_receipts, submit

MNR = str(Path(sys.executable).parent / "mnr")


def test_submissions_from_threads_and_processes_at_once_are_each_archived_once(mnr_home, tmp_path):
    files = []
    for i in range(8):
        f = tmp_path / f"file{i}.csv"
        f.write_text(f"indicator,time_period,value\nCJ_PROSECUTIONS,2022,{200 + i}\n")
        files.append(f)
    env = {**os.environ, "MNR_HOME": str(mnr_home.home)}
    start = threading.Barrier(24 + 6 + 3)

    def in_thread(i):
        start.wait()
        receipt, _ = submit(mnr_home, files[i % 8], "KEN")   # every file three times from threads
        return receipt.submission_id

    def in_process(i, country="KEN"):
        start.wait()
        p = subprocess.run([MNR, "submit", str(files[i % 8]), "--country", country], env=env, capture_output=True,
                           text=True, timeout=300)
        return p.returncode, p.stdout, p.stderr

    with ThreadPoolExecutor(max_workers=33) as pool:
        threads = [pool.submit(in_thread, i) for i in range(24)]
        processes = [pool.submit(in_process, i) for i in range(6)]
        # The same bytes for another country are that country's own submission.
        processes += [pool.submit(in_process, 0, "UGA") for _ in range(3)]
        ids = [t.result() for t in threads]
        outs = [p.result() for p in processes]
    for code, out, err in outs:
        assert code == 0 and err == "", err
        assert "lock" not in (out + err).lower()
        ids.append(out.split()[0])
    receipts = all_receipts(mnr_home)
    assert len({r.submission_id for r in receipts}) == len(receipts) == 9 == len(set(ids))
    assert sorted(r.country for r in receipts) == ["KEN"] * 8 + ["UGA"]
    for r in receipts:
        assert r.path(mnr_home).read_bytes() == files[int(r.file_name[4])].read_bytes()
    assert [p.name for p in mnr_home.landing.iterdir() if p.name.startswith(".")] == []
